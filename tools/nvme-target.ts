#!/usr/bin/env node
/**
 * nvme-target: the bundled NVMe-oF target on NVMe/TCP and NVMe/RDMA (SPDK's nvmf_tgt). Set
 * up from flags, from a saved configuration (-c, SPDK's save_config format),
 * or at run time over its JSON-RPC socket (-r; nvme-rpc is its rpc.py). With
 * no flags it serves a demo subsystem with a 256 MiB RAM namespace on
 * 127.0.0.1:4420.
 */
import { readFileSync } from 'node:fs';
import { InvalidArgumentError, Option } from 'commander';
import { ConfigError, TransportError } from '../src/spec/errors.js';
import { integerArg } from '../src/cli/arg-parsers.js';
import { createProgram, runCli } from '../src/cli/program.js';
import { parseSize } from '../src/cli/size.js';
import { resolveBlockDeviceOptions } from '../src/target/bdev/block-device.js';
import { BdevRegistry } from '../src/target/bdev/bdev-registry.js';
import { parseFileSpec } from '../src/target/bdev/file.js';
import { formatListener } from '../src/target/listener.js';
import { DEFAULT_RPC_SOCKET } from '../src/target/rpc/json-rpc-server.js';
import { RpcService } from '../src/target/rpc/rpc-service.js';
import type { TargetRuntime } from '../src/target/rpc/target-runtime.js';
import type { LogLevel } from '../src/target/target-context.js';
import { NvmfTarget } from '../src/target/target.js';
import {
  TCP_TRANSPORT_OPTIONS,
  formatListenUrl,
  parseListenUrl,
  type TcpOptionInfo,
  type TcpTransportOptions,
} from '../src/target/transport/tcp/index.js';
import { RDMA_TRANSPORT_OPTIONS, type RdmaTransportOptions } from '../src/target/transport/rdma/index.js';

const NAME = 'nvme-target';
const DEFAULT_NQN = 'nqn.2016-06.io.nvmekit:cnode1';
const DEFAULT_LISTEN = 'tcp://127.0.0.1:4420';
const DEFAULT_MALLOC = '256M:512';

/** A namespace asked for by flag: a RAM or null device of a size, or a file. */
interface SizedSpec {
  sizeBytes: number;
  blockSize: number;
}
type NamespaceSpec = ({ kind: 'malloc' } & SizedSpec) | ({ kind: 'null' } & SizedSpec) | { kind: 'file'; filename: string; blockSize?: number };

type SpecOf<K extends NamespaceSpec['kind']> = Extract<NamespaceSpec, { kind: K }>;

/** Namespace back ends, by flag: each creates its device in the registry (so RPC lists and saves it). @returns the name */
const BDEV_KINDS: { readonly [K in NamespaceSpec['kind']]: (bdevs: BdevRegistry, spec: SpecOf<K>, index: number) => Promise<string> } = {
  malloc: async (bdevs, s, index) => bdevs.createMalloc({ name: `Malloc${index}`, numBlocks: s.sizeBytes / s.blockSize, blockSize: s.blockSize }),
  null: async (bdevs, s, index) => bdevs.createNull({ name: `Null${index}`, numBlocks: s.sizeBytes / s.blockSize, blockSize: s.blockSize }),
  file: (bdevs, s, index) => bdevs.createAio({ name: `AIO${index}`, filename: s.filename, blockSize: s.blockSize }),
};

/** Creates the device of one namespace flag. @returns its name */
function createBdev(bdevs: BdevRegistry, spec: NamespaceSpec, index: number): Promise<string> {
  const create = BDEV_KINDS[spec.kind] as (bdevs: BdevRegistry, spec: NamespaceSpec, index: number) => Promise<string>;
  return create(bdevs, spec, index);
}

/** Core options whose ConfigError keys name a flag of this tool. */
const FLAG_OF_KEY: Readonly<Record<string, string>> = {
  nqn: '--nqn',
  serialNumber: '--serial',
  modelNumber: '--model',
  hosts: '--allow-host',
  hostnqn: '--allow-host',
  maxIoQueuesPerController: '--max-io-qpairs-per-ctrlr',
  ...Object.fromEntries([...RDMA_TRANSPORT_OPTIONS, ...TCP_TRANSPORT_OPTIONS].map((o) => [o.key, flagOf(o)])),
};

/** What a transport option flag needs from either transport's option table. */
type OptionFlag = Pick<TcpOptionInfo, 'rpcName' | 'unit' | 'spdk' | 'description' | 'min' | 'max' | 'key'> & { defaultValue: unknown };

/** RDMA options that TCP does not have: flags of their own (the shared ones, e.g. --max-io-size, set both transports). */
const RDMA_ONLY_OPTIONS = RDMA_TRANSPORT_OPTIONS.filter((o) => !TCP_TRANSPORT_OPTIONS.some((t) => t.rpcName === o.rpcName));

/** Words for the errors a listen can fail with. */
const LISTEN_FAILURES: Readonly<Record<string, string>> = {
  EADDRINUSE: 'address already in use (is another target listening on this port?)',
  EADDRNOTAVAIL: 'no such local address on this machine',
  EACCES: 'permission denied (ports below 1024 need privileges)',
};

interface TargetFlags {
  listen?: string[];
  rpcSocket?: string;
  waitForRpc?: boolean;
  config?: string;
  json?: string;
  nqn: string;
  serial?: string;
  model?: string;
  allowHost?: string[];
  maxIoQpairsPerCtrlr?: number;
  verbose: number;
  [transportOption: string]: unknown;
}

function flagOf(o: Pick<OptionFlag, 'rpcName' | 'unit'>): string {
  const name = o.rpcName.replace(/_/g, '-');
  return o.unit === 'flag' ? `--no-${name}` : `--${name}`;
}

/** Commander option property of a transport option (`--max-io-size` → `maxIoSize`, `--no-c2h-success` → `c2hSuccess`). */
function propertyOf(o: Pick<OptionFlag, 'rpcName'>): string {
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
function parseNamespaceSpec(kind: 'malloc' | 'null', text: string): NamespaceSpec {
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

const NAMESPACE_PARSERS: Readonly<Record<NamespaceSpec['kind'], (text: string) => NamespaceSpec>> = {
  malloc: (text) => parseNamespaceSpec('malloc', text),
  null: (text) => parseNamespaceSpec('null', text),
  file: (text) => ({ kind: 'file', ...parseFileSpec(text, '--file') }),
};

const namespaces: NamespaceSpec[] = [];

function namespaceOption(kind: NamespaceSpec['kind'], syntax: string, what: string): Option {
  return new Option(`--${kind} <${syntax}>`, `${what}; repeatable, one namespace each, NSIDs in flag order`).argParser(
    argParser((text) => {
      namespaces.push(NAMESPACE_PARSERS[kind](text));
      return namespaces;
    }),
  );
}

const collect = (value: string, previous: string[] | undefined): string[] => [...(previous ?? []), value];

const program = createProgram(
  NAME,
  "Serve NVMe-oF over TCP and RDMA like SPDK's nvmf_tgt: subsystems of RAM, null or file namespaces from flags, from a saved configuration (-c), or set up at run time over JSON-RPC (nvme-rpc).",
)
  .addOption(
    new Option(
      '--listen <tcp://ADDR:PORT>',
      `address to listen on; repeatable; rdma://ADDR:PORT for NVMe/RDMA (an address of an RDMA device: RoCE, iWARP or soft-RoCE); IPv6 as tcp://[::1]:4420; port 0 picks a free port (default ${DEFAULT_LISTEN})`,
    )
      .argParser(collect),
  )
  .addOption(namespaceOption('malloc', 'SIZE[:BS]', `a RAM namespace of SIZE bytes with BS-byte blocks (SPDK bdev_malloc_create) (default ${DEFAULT_MALLOC} when no namespace is given)`))
  .addOption(namespaceOption('null', 'SIZE[:BS]', 'a null namespace: writes discarded, reads return zeros (SPDK bdev_null_create)'))
  .addOption(namespaceOption('file', 'PATH[:BS]', 'a namespace on a file or block device, BS-byte blocks (default 512) (SPDK bdev_aio_create)'))
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

for (const o of [...TCP_TRANSPORT_OPTIONS, ...RDMA_ONLY_OPTIONS] as OptionFlag[]) {
  if (o.unit === 'flag') {
    program.addOption(new Option(flagOf(o), `do not ${o.description} (SPDK ${o.rpcName}: false)`));
    continue;
  }
  const parse = o.unit === 'bytes' ? argParser((t) => parseSize(t, flagOf(o))) : integerArg(o.min!, o.max!);
  const rdmaOnly = RDMA_ONLY_OPTIONS.some((r) => r.rpcName === o.rpcName) ? 'RDMA; ' : '';
  const spdk = `${rdmaOnly}${o.spdk ? `SPDK ${o.rpcName}` : 'not in SPDK'}`;
  const option = new Option(`${flagOf(o)} <${o.unit === 'bytes' ? 'bytes' : 'n'}>`, `${o.description} (${spdk})`).argParser(parse);
  if (typeof o.defaultValue === 'number') option.default(o.defaultValue);
  program.addOption(option);
}

program
  .option('-r, --rpc-socket <path>', 'JSON-RPC socket (mode 0600) for nvme-rpc and rpc.py-style clients', DEFAULT_RPC_SOCKET)
  .option('--wait-for-rpc', 'start only the RPC socket; set up (config, flags) when framework_start_init is called')
  .option('-c, --config <file>', "configuration to load at start, SPDK's save_config format (nvme-rpc save_config > cfg.json)")
  .addOption(new Option('--json <file>', 'same as --config').hideHelp())
  .option('-v, --verbose', 'log connections and errors to stderr; twice (-vv) for every failed command too', (_v, n: number) => n + 1, 0)
  .addHelpText(
    'after',
    `
Prints one line per listener once it accepts connections:
  ready: trtype:TCP adrfam:IPv4 traddr:127.0.0.1 trsvcid:4420 subnqn:${DEFAULT_NQN}
and one for the RPC socket:
  rpc: /var/tmp/nvmekit.sock
and runs until SIGINT or SIGTERM, then closes every connection, removes the socket and exits 0.
With --config or --wait-for-rpc, subsystems come from the configuration and RPC calls; the
flags add their subsystem too when a namespace flag (--malloc, --null, --file) is given.
The discovery subsystem (nqn.2014-08.org.nvmexpress.discovery) is served on every listener.

Examples:
  ${NAME}
      the demo: ${DEFAULT_NQN}, one 256 MiB RAM namespace, any host, on ${DEFAULT_LISTEN}
  ${NAME} --listen tcp://0.0.0.0:4420 --listen tcp://[::]:4420 --null 1G --malloc 64M:4096
      ns 1 a 1 GiB null device, ns 2 a 64 MiB RAM device with 4 KiB blocks, on all IPv4 and IPv6 addresses
  ${NAME} --listen tcp://127.0.0.1:0 --allow-host nqn.2014-08.org.nvmexpress:uuid:6b1f5a3e-2f0e-4a63-9d8e-0c4c2c1b7d10
      a free port, printed in the ready line; only that host may connect
  ${NAME} -c cfg.json -r /tmp/tgt.sock
      the subsystems of a saved configuration; nvme-rpc -s /tmp/tgt.sock changes them at run time
  ${NAME} --listen rdma://192.0.2.1:4420 --listen tcp://192.0.2.1:4420 --malloc 64M:4096
      the same subsystem over NVMe/RDMA and NVMe/TCP (needs libibverbs, librdmacm and an RDMA device on 192.0.2.1)
  ${NAME} --file /var/tmp/disk.img:4096
      one namespace on a file with 4 KiB blocks; completed writes are in the file
  ${NAME} --no-c2h-success --in-capsule-data-size 8192 -v
      Linux nvmet-like completions (a CapsuleResp after every read), 8 KiB in-capsule writes, connection log

Exit status: 0 stopped by a signal, 1 a listen address or the RPC socket could not be taken, 2 bad flags or configuration.`,
  );

/** The flags one transport's option table has, by the table's keys. */
function optionsFrom<T>(table: readonly { rpcName: string; key: string }[], flags: TargetFlags): Partial<T> {
  const out: Record<string, unknown> = {};
  for (const o of table) {
    const value = flags[propertyOf(o)];
    if (value !== undefined) out[o.key] = value;
  }
  return out as Partial<T>;
}

/** Runs `build`, renaming the keys of its ConfigErrors to this tool's flags. */
function asFlags<T>(build: () => T): T {
  try {
    return build();
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    const renamed = FLAG_OF_KEY[err.key];
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

/** Builds the subsystem the flags describe, through the same runtime the RPC methods use. */
async function buildFlagSubsystem(rt: TargetRuntime, flags: TargetFlags): Promise<void> {
  const addresses = (flags.listen ?? [DEFAULT_LISTEN]).map((url) => parseListenUrl(url, '--listen'));
  const specs = namespaces.length > 0 ? namespaces : [parseNamespaceSpec('malloc', DEFAULT_MALLOC)];
  if (!rt.tcp && addresses.some((a) => a.trtype === 'TCP')) {
    asFlags(() => rt.createTcpTransport(optionsFrom<TcpTransportOptions>(TCP_TRANSPORT_OPTIONS, flags)));
  }
  // Loads libibverbs and librdmacm only when an rdma:// address asks for them.
  if (!rt.rdma && addresses.some((a) => a.trtype === 'RDMA')) {
    asFlags(() => {
      try {
        return rt.createRdmaTransport(optionsFrom<RdmaTransportOptions>(RDMA_TRANSPORT_OPTIONS, flags));
      } catch (err) {
        // Missing libraries or no RDMA device: the message says which; this is not a failed host connection.
        throw err instanceof TransportError ? new Error(err.message) : err;
      }
    });
  }
  const subsystem = asFlags(() =>
    rt.target.createSubsystem({
      nqn: flags.nqn,
      serialNumber: flags.serial,
      modelNumber: flags.model,
      allowAnyHost: flags.allowHost === undefined,
      hosts: flags.allowHost,
      explicitListeners: true,
    }),
  );
  for (const [i, spec] of specs.entries()) {
    const name = await createBdev(rt.bdevs, spec, i).catch((err: unknown) => {
      throw err instanceof ConfigError && !err.key.startsWith('--') ? new ConfigError(`--${spec.kind}`, err.message) : err;
    });
    subsystem.addNamespace(rt.bdevs.get(name)!);
  }
  for (const addr of addresses) {
    await rt.addListener(subsystem, addr).catch((err: unknown) => {
      if (!(err instanceof TransportError)) throw err;
      // The RDMA listener's message already names the address and the reason.
      if (addr.trtype === 'RDMA') throw new Error(err.message);
      throw new Error(`cannot listen on ${formatListenUrl(addr)}: ${LISTEN_FAILURES[err.code ?? ''] ?? err.message}`);
    });
  }
}

/** Applies the configuration file. @throws ConfigError naming --config */
async function loadConfigFile(rpc: RpcService, path: string): Promise<void> {
  let config: unknown;
  try {
    config = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new ConfigError('--config', `cannot read ${path}: ${(err as Error).message}`);
  }
  await rpc.loadConfig(config).catch((err: unknown) => {
    throw new ConfigError('--config', `${path}: ${(err as Error).message}`);
  });
}

/** One ready line per (subsystem, listener), as hosts would address them. */
function printReady(rt: TargetRuntime): void {
  for (const s of rt.target.subsystems.values()) {
    if (s.subtype !== 'nvme') continue;
    for (const l of s.listeners) process.stdout.write(`ready: ${formatListener(l)} subnqn:${s.nqn}\n`);
  }
}

/**
 * Opens the RPC socket. A live target on a path given with -r is an error (and
 * with --wait-for-rpc, which needs the socket); on the default path it only
 * turns RPC off, so several targets can run side by side.
 */
async function openRpc(rpc: RpcService, flags: TargetFlags, required: boolean): Promise<void> {
  const path = flags.rpcSocket ?? DEFAULT_RPC_SOCKET;
  try {
    await rpc.listen(path);
  } catch (err) {
    const reason = (err as Error).message.replace(/^rpc-socket: /, '');
    if (required || !(err instanceof ConfigError)) throw new Error(`RPC socket ${reason}`);
    process.stderr.write(`${NAME}: [warn] ${reason}; JSON-RPC is off (give -r PATH)\n`);
    return;
  }
  process.stdout.write(`rpc: ${path}\n`);
}

async function serve(flags: TargetFlags): Promise<void> {
  const log = logger(flags.verbose);
  const configPath = flags.config ?? flags.json;
  const flagSubsystem = (configPath === undefined && !flags.waitForRpc) || namespaces.length > 0;
  const socketRequired = program.getOptionValueSource('rpcSocket') === 'cli' || flags.waitForRpc === true;
  const signal = waitForSignal();
  const target = asFlags(() => new NvmfTarget({ log, maxIoQueuesPerController: flags.maxIoQpairsPerCtrlr }));
  const rpc = new RpcService({
    target,
    bdevs: new BdevRegistry(target, log),
    log,
    // Skipped parts of a configuration are worth a line whatever the verbosity.
    report: (msg) => process.stderr.write(`${NAME}: [warn] ${msg}\n`),
    state: 'startup',
    onStartInit: async () => {
      if (configPath !== undefined) await loadConfigFile(rpc, configPath);
      if (flagSubsystem) await buildFlagSubsystem(rpc.runtime, flags);
      printReady(rpc.runtime);
    },
  });
  try {
    if (!flags.waitForRpc) await rpc.runtime.startInit();
    await openRpc(rpc, flags, socketRequired);
    log('info', `stopping on ${await signal}`);
  } finally {
    await rpc.close();
  }
}

process.exitCode = await runCli(program, process.argv, serve);
