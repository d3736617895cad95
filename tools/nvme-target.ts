#!/usr/bin/env node
/**
 * nvme-target: the bundled NVMe-oF target on NVMe/TCP, configured from flags
 * (what SPDK's nvmf_tgt plus a handful of rpc.py calls set up). With no flags
 * it serves a demo subsystem with a 256 MiB RAM namespace on 127.0.0.1:4420.
 */
import { InvalidArgumentError, Option } from 'commander';
import { ConfigError, TransportError } from '../src/spec/errors.js';
import { integerArg } from '../src/cli/arg-parsers.js';
import { createProgram, runCli } from '../src/cli/program.js';
import { parseSize } from '../src/cli/size.js';
import { resolveBlockDeviceOptions, type BlockDevice } from '../src/target/bdev/block-device.js';
import { MallocBlockDevice } from '../src/target/bdev/malloc.js';
import { NullBlockDevice } from '../src/target/bdev/null.js';
import { formatListener } from '../src/target/listener.js';
import type { LogLevel } from '../src/target/target-context.js';
import { NvmfTarget } from '../src/target/target.js';
import {
  TCP_TRANSPORT_OPTIONS,
  TcpListener,
  formatListenUrl,
  parseListenUrl,
  type TcpOptionInfo,
  type TcpTransportOptions,
} from '../src/target/transport/tcp/index.js';

const NAME = 'nvme-target';
const DEFAULT_NQN = 'nqn.2016-06.io.nvmekit:cnode1';
const DEFAULT_LISTEN = 'tcp://127.0.0.1:4420';
const DEFAULT_MALLOC = '256M:512';

/** Namespace back ends, by flag. */
const BDEV_KINDS = {
  malloc: (sizeBytes: number, blockSize: number, index: number): BlockDevice =>
    new MallocBlockDevice({ name: `Malloc${index}`, numBlocks: sizeBytes / blockSize, blockSize }),
  null: (sizeBytes: number, blockSize: number, index: number): BlockDevice =>
    new NullBlockDevice({ name: `Null${index}`, numBlocks: sizeBytes / blockSize, blockSize }),
} as const;
type BdevKind = keyof typeof BDEV_KINDS;

interface NamespaceSpec {
  kind: BdevKind;
  sizeBytes: number;
  blockSize: number;
}

/** Core options whose ConfigError keys name a flag of this tool. */
const FLAG_OF_KEY: Readonly<Record<string, string>> = {
  nqn: '--nqn',
  serialNumber: '--serial',
  modelNumber: '--model',
  hosts: '--allow-host',
  hostnqn: '--allow-host',
  maxIoQueuesPerController: '--max-io-qpairs-per-ctrlr',
  ...Object.fromEntries(TCP_TRANSPORT_OPTIONS.map((o) => [o.key, flagOf(o)])),
};

/** Words for the errors a listen can fail with. */
const LISTEN_FAILURES: Readonly<Record<string, string>> = {
  EADDRINUSE: 'address already in use (is another target listening on this port?)',
  EADDRNOTAVAIL: 'no such local address on this machine',
  EACCES: 'permission denied (ports below 1024 need privileges)',
};

interface TargetFlags {
  listen?: string[];
  nqn: string;
  serial?: string;
  model?: string;
  allowHost?: string[];
  maxIoQpairsPerCtrlr?: number;
  verbose: number;
  [transportOption: string]: unknown;
}

function flagOf(o: TcpOptionInfo): string {
  const name = o.rpcName.replace(/_/g, '-');
  return o.unit === 'flag' ? `--no-${name}` : `--${name}`;
}

/** Commander option property of a transport option (`--max-io-size` → `maxIoSize`, `--no-c2h-success` → `c2hSuccess`). */
function propertyOf(o: TcpOptionInfo): string {
  return o.rpcName.replace(/_([a-z0-9])/g, (_m, c: string) => c.toUpperCase());
}

/** A commander argument parser from a function that throws ConfigError (commander then names the flag). */
function argParser<T>(parse: (text: string) => T): (text: string) => T {
  return (text) => {
    try {
      return parse(text);
    } catch (err) {
      if (err instanceof ConfigError) throw new InvalidArgumentError(err.message.replace(/^[^:]+: /, ''));
      throw err;
    }
  };
}

/** `SIZE[:BS]`: bytes (64M, 1G, 512k, 4096...) and the block size (default 512). */
function parseNamespaceSpec(kind: BdevKind, text: string): NamespaceSpec {
  const [sizeText, bsText, extra] = text.split(':');
  if (extra !== undefined || !sizeText) throw new ConfigError(`--${kind}`, `expected SIZE[:BS] like 64M or 1G:4096, got '${text}'`);
  const sizeBytes = parseSize(sizeText, `--${kind}`);
  const blockSize = bsText === undefined ? 512 : parseSize(bsText, `--${kind}`);
  resolveBlockDeviceOptions({ blockSize, numBlocks: 1 }, kind);
  if (sizeBytes === 0 || sizeBytes % blockSize !== 0) {
    throw new ConfigError(`--${kind}`, `expected a size that is a non-zero multiple of the ${blockSize}-byte block, got ${sizeBytes}`);
  }
  return { kind, sizeBytes, blockSize };
}

const namespaces: NamespaceSpec[] = [];

function namespaceOption(kind: BdevKind, what: string): Option {
  return new Option(`--${kind} <SIZE[:BS]>`, `${what}; repeatable, one namespace each, NSIDs in flag order`).argParser(
    argParser((text) => {
      namespaces.push(parseNamespaceSpec(kind, text));
      return namespaces;
    }),
  );
}

const collect = (value: string, previous: string[] | undefined): string[] => [...(previous ?? []), value];

const program = createProgram(
  NAME,
  "Serve NVMe-oF over TCP: one subsystem of RAM or null namespaces, like SPDK's nvmf_tgt (or Linux nvmet) set up for a test.",
)
  .addOption(
    new Option('--listen <tcp://ADDR:PORT>', `address to listen on; repeatable; IPv6 as tcp://[::1]:4420; port 0 picks a free port (default ${DEFAULT_LISTEN})`)
      .argParser(collect),
  )
  .addOption(namespaceOption('malloc', `a RAM namespace of SIZE bytes with BS-byte blocks (SPDK bdev_malloc_create) (default ${DEFAULT_MALLOC} when no namespace is given)`))
  .addOption(namespaceOption('null', 'a null namespace: writes discarded, reads return zeros (SPDK bdev_null_create)'))
  .option('--nqn <nqn>', 'subsystem NQN', DEFAULT_NQN)
  .option('--serial <sn>', 'serial number (Identify SN; SPDK nvmf_create_subsystem -s)')
  .option('--model <mn>', 'model number (Identify MN; SPDK nvmf_create_subsystem -d)')
  .addOption(new Option('--allow-host <nqn>', 'host NQN allowed to connect; repeatable (default: any host, SPDK allow_any_host)').argParser(collect))
  .option(
    '--max-io-qpairs-per-ctrlr <n>',
    'most I/O queues per controller (SPDK max_io_qpairs_per_ctrlr)',
    integerArg(1, 0xfffe),
    127,
  );

for (const o of TCP_TRANSPORT_OPTIONS) {
  if (o.unit === 'flag') {
    program.addOption(new Option(flagOf(o), `do not ${o.description} (SPDK ${o.rpcName}: false)`));
    continue;
  }
  const parse = o.unit === 'bytes' ? argParser((t) => parseSize(t, flagOf(o))) : integerArg(o.min!, o.max!);
  const spdk = o.spdk ? `SPDK ${o.rpcName}` : 'not in SPDK';
  const option = new Option(`${flagOf(o)} <${o.unit === 'bytes' ? 'bytes' : 'n'}>`, `${o.description} (${spdk})`).argParser(parse);
  if (o.defaultValue !== null) option.default(o.defaultValue);
  program.addOption(option);
}

program
  .option('-v, --verbose', 'log connections and errors to stderr; twice (-vv) for every failed command too', (_v, n: number) => n + 1, 0)
  .addHelpText(
    'after',
    `
Prints one line per listener once it accepts connections:
  ready: trtype:TCP adrfam:IPv4 traddr:127.0.0.1 trsvcid:4420 subnqn:${DEFAULT_NQN}
and runs until SIGINT or SIGTERM, then closes every connection and exits 0.
The discovery subsystem (nqn.2014-08.org.nvmexpress.discovery) is served on every listener.

Examples:
  ${NAME}
      the demo: ${DEFAULT_NQN}, one 256 MiB RAM namespace, any host, on ${DEFAULT_LISTEN}
  ${NAME} --listen tcp://0.0.0.0:4420 --listen tcp://[::]:4420 --null 1G --malloc 64M:4096
      ns 1 a 1 GiB null device, ns 2 a 64 MiB RAM device with 4 KiB blocks, on all IPv4 and IPv6 addresses
  ${NAME} --listen tcp://127.0.0.1:0 --allow-host nqn.2014-08.org.nvmexpress:uuid:6b1f5a3e-2f0e-4a63-9d8e-0c4c2c1b7d10
      a free port, printed in the ready line; only that host may connect
  ${NAME} --no-c2h-success --in-capsule-data-size 8192 -v
      Linux nvmet-like completions (a CapsuleResp after every read), 8 KiB in-capsule writes, connection log

Exit status: 0 stopped by a signal, 1 a listen address could not be bound, 2 bad flags.`,
  );

function transportOptions(flags: TargetFlags): Partial<TcpTransportOptions> {
  const out: Record<string, unknown> = {};
  for (const o of TCP_TRANSPORT_OPTIONS) {
    const value = flags[propertyOf(o)];
    if (value !== undefined) out[o.key] = value;
  }
  return out as Partial<TcpTransportOptions>;
}

/** Runs `build`, renaming the keys of its ConfigErrors to this tool's flags (or to `flag`). */
function asFlags<T>(build: () => T, flag?: string): T {
  try {
    return build();
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    const renamed = flag ?? FLAG_OF_KEY[err.key];
    if (renamed === undefined) throw err;
    throw new ConfigError(renamed, err.message.slice(err.key.length + 2));
  }
}

function logger(verbosity: number): (level: LogLevel, msg: string) => void {
  const shown: readonly LogLevel[] = verbosity >= 2 ? ['error', 'warn', 'info', 'debug'] : verbosity === 1 ? ['error', 'warn', 'info'] : ['error'];
  return (level, msg) => {
    if (shown.includes(level)) process.stderr.write(`${NAME}: [${level}] ${msg}\n`);
  };
}

function waitForSignal(): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    process.once('SIGINT', () => resolve('SIGINT'));
    process.once('SIGTERM', () => resolve('SIGTERM'));
  });
}

async function serve(flags: TargetFlags): Promise<void> {
  const log = logger(flags.verbose);
  const urls = flags.listen ?? [DEFAULT_LISTEN];
  const addresses = urls.map((url) => parseListenUrl(url, '--listen'));
  const specs = namespaces.length > 0 ? namespaces : [parseNamespaceSpec('malloc', DEFAULT_MALLOC)];
  const signal = waitForSignal();
  const target = asFlags(() => new NvmfTarget({ log, maxIoQueuesPerController: flags.maxIoQpairsPerCtrlr }));
  const listener = asFlags(() => new TcpListener(target, { log, ...transportOptions(flags) }));
  try {
    const subsystem = asFlags(() =>
      target.createSubsystem({
        nqn: flags.nqn,
        serialNumber: flags.serial,
        modelNumber: flags.model,
        allowAnyHost: flags.allowHost === undefined,
        hosts: flags.allowHost,
      }),
    );
    specs.forEach((spec, i) => {
      const bdev = asFlags(() => BDEV_KINDS[spec.kind](spec.sizeBytes, spec.blockSize, i), `--${spec.kind}`);
      subsystem.addNamespace(bdev);
    });
    for (const addr of addresses) {
      const bound = await listener.listen(addr).catch((err: unknown) => {
        if (!(err instanceof TransportError)) throw err;
        throw new Error(`cannot listen on ${formatListenUrl(addr)}: ${LISTEN_FAILURES[err.code ?? ''] ?? err.message}`);
      });
      process.stdout.write(`ready: ${formatListener(bound)} subnqn:${subsystem.nqn}\n`);
    }
    log('info', `stopping on ${await signal}`);
  } finally {
    await listener.close();
    target.close();
  }
}

process.exitCode = await runCli(program, process.argv, serve);
