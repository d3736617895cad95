#!/usr/bin/env node
/**
 * nvme-rpc: drives nvme-target's JSON-RPC socket the way SPDK's scripts/rpc.py
 * drives nvmf_tgt: `nvme-rpc [-s SOCKET] METHOD [args]`, with rpc.py's
 * positional arguments and flags, its result printing and its error text.
 */
import { readFileSync } from 'node:fs';
import { Argument, InvalidArgumentError, Option, type Command } from 'commander';
import { TransportError } from '../src/spec/errors.js';
import { createProgram, printError } from '../src/cli/program.js';
import { ExitCode } from '../src/cli/error-messages.js';
import { CLI_METHODS, formatResult, formatRpcError, setParam, type CliArg, type CliMethod } from '../src/target/rpc/cli-methods.js';
import { JsonRpcClient } from '../src/target/rpc/json-rpc-client.js';
import { DEFAULT_RPC_SOCKET } from '../src/target/rpc/json-rpc-server.js';
import { RpcError } from '../src/target/rpc/rpc-errors.js';

const NAME = 'nvme-rpc';

const PARSERS: Readonly<Record<'int' | 'number', (text: string) => number>> = {
  int: (text) => {
    const n = /^-?\d+$/.test(text) ? Number(text) : NaN;
    if (!Number.isSafeInteger(n)) throw new InvalidArgumentError('expected an integer');
    return n;
  },
  number: (text) => {
    const n = /^\d+(\.\d+)?$/.test(text) ? Number(text) : NaN;
    if (!Number.isFinite(n)) throw new InvalidArgumentError('expected a number');
    return n;
  },
};

/** What a switch sets its parameter to; other types pass their value on. */
const SWITCH_VALUE: Partial<Record<CliArg['type'], boolean>> = { true: true, false: false };

interface Request {
  method: CliMethod;
  params: Record<string, unknown>;
}

let request: Request | null = null;

const isPositional = (a: CliArg): boolean => a.spec.startsWith('<') || a.spec.startsWith('[');

function addMethod(program: Command, m: CliMethod): void {
  const cmd = program.command(m.name).description(m.help);
  const positionals = m.args.filter(isPositional);
  const flags = m.args.filter((a) => !isPositional(a));
  for (const a of positionals) {
    const argument = new Argument(a.spec, a.help);
    if (a.type === 'int' || a.type === 'number') argument.argParser(PARSERS[a.type]);
    cmd.addArgument(argument);
  }
  const options = flags.map((a) => {
    const option = new Option(a.spec, a.help);
    if (a.type === 'int' || a.type === 'number') option.argParser(PARSERS[a.type]);
    cmd.addOption(option);
    return option;
  });
  cmd.action((...args: unknown[]) => {
    const params: Record<string, unknown> = {};
    positionals.forEach((a, i) => {
      if (args[i] !== undefined) setParam(params, a.param, args[i]);
    });
    const opts = args[positionals.length] as Record<string, unknown>;
    flags.forEach((a, i) => {
      const value = opts[options[i]!.attributeName()];
      if (value === undefined) return;
      setParam(params, a.param, SWITCH_VALUE[a.type] ?? value);
    });
    request = { method: m, params: m.finish ? m.finish(params) : params };
  });
}

const program = createProgram(NAME, "Call nvme-target's JSON-RPC methods, as SPDK's scripts/rpc.py calls nvmf_tgt's.")
  // As rpc.py: -s before the method is the socket; after it, the method's own flag (-s SN, -s PORT).
  .enablePositionalOptions()
  .option('-s, --server-addr <path>', 'the target\'s RPC socket', DEFAULT_RPC_SOCKET)
  .addHelpText(
    'after',
    `
Results print as rpc.py prints them: pretty JSON (indent 2), a created bdev's name bare, nothing for true.
An error prints the request and the error object to stderr and exits 1.

Examples:
  ${NAME} bdev_malloc_create -b Malloc0 64 512
  ${NAME} nvmf_create_transport -t tcp
  ${NAME} nvmf_create_subsystem nqn.2016-06.io.nvmekit:cnode2 -a -s SN2 -d Model2
  ${NAME} nvmf_subsystem_add_ns nqn.2016-06.io.nvmekit:cnode2 Malloc0
  ${NAME} nvmf_subsystem_add_listener nqn.2016-06.io.nvmekit:cnode2 -t tcp -a 127.0.0.1 -s 4421
  ${NAME} save_config > cfg.json        (nvme-target -c cfg.json replays it)`,
  );
for (const m of CLI_METHODS) addMethod(program, m);

/** load_config sends the file's (or stdin's) configuration as its parameters. */
function requestParams(req: Request): Record<string, unknown> {
  if (req.method.name !== 'load_config') return req.params;
  const file = req.params.json_conf as string | undefined;
  const text = readFileSync(file ?? 0, 'utf8');
  return JSON.parse(text) as Record<string, unknown>;
}

async function main(): Promise<number> {
  try {
    program.parse(process.argv);
  } catch (err) {
    return (err as { exitCode?: number }).exitCode === 0 ? ExitCode.OK : ExitCode.USAGE;
  }
  if (!request) {
    printError(NAME, `expected a method (see ${NAME} --help)`);
    return ExitCode.USAGE;
  }
  const req: Request = request;
  const socketPath = program.opts<{ serverAddr: string }>().serverAddr;
  let params: Record<string, unknown>;
  try {
    params = requestParams(req);
  } catch (err) {
    printError(NAME, `${req.method.name}: cannot read the configuration: ${(err as Error).message}`);
    return ExitCode.FAILURE;
  }
  let client: JsonRpcClient;
  try {
    client = await JsonRpcClient.connect(socketPath);
  } catch (err) {
    printError(NAME, `${(err as Error).message} (is nvme-target running with -r ${socketPath}?)`);
    return ExitCode.FAILURE;
  }
  const reqId = client.nextRequestId;
  try {
    const result = await client.call(req.method.name, Object.keys(params).length > 0 ? params : undefined);
    const text = formatResult(result === true ? 'none' : req.method.print, result);
    if (text !== null) process.stdout.write(`${text}\n`);
    return ExitCode.OK;
  } catch (err) {
    if (err instanceof RpcError) process.stderr.write(`${formatRpcError(req.method.name, reqId, params, { code: err.code, message: err.message })}\n`);
    else if (err instanceof TransportError) printError(NAME, err.message);
    else throw err;
    return ExitCode.FAILURE;
  } finally {
    client.close();
  }
}

process.exitCode = await main();
