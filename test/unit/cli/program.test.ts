import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { integerArg } from '../../../src/cli/arg-parsers.js';
import { ExitCode, type ErrorContext } from '../../../src/cli/error-messages.js';
import { createProgram, runCli } from '../../../src/cli/program.js';
import { parseTransportId } from '../../../src/nvme-driver/transport-id.js';
import { ConfigError, TransportError } from '../../../src/spec/errors.js';
import { NVMEKIT_VERSION } from '../../../src/version.js';

let stderr: string[];
let stdout: string[];

beforeEach(() => {
  stderr = [];
  stdout = [];
  vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => (stderr.push(String(chunk)), true));
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => (stdout.push(String(chunk)), true));
});

afterEach(() => vi.restoreAllMocks());

interface Flags {
  count?: number;
  json?: boolean;
}

function tool() {
  return createProgram('tool', 'does a thing').option('--count <n>', 'how many', integerArg(1, 64)).option('--json', 'as JSON');
}

const argv = (...args: string[]) => ['node', 'tool', ...args];

describe('runCli', () => {
  it('runs the work with the parsed flags', async () => {
    let seen: Flags | undefined;
    const code = await runCli(tool(), argv('--count', '8', '--json'), async (flags: Flags) => void (seen = flags));
    expect(code).toBe(ExitCode.OK);
    expect(seen).toEqual({ count: 8, json: true });
    expect(stderr).toEqual([]);
  });

  it('prints the nvmekit version for --version and exits 0 without running the work', async () => {
    const work = vi.fn(async () => undefined);
    expect(await runCli(tool(), argv('--version'), work)).toBe(ExitCode.OK);
    expect(stdout).toEqual([`${NVMEKIT_VERSION}\n`]);
    expect(work).not.toHaveBeenCalled();
  });

  it('turns a commander error into one stderr line and exit code 2, without running the work', async () => {
    const work = vi.fn(async () => undefined);
    expect(await runCli(tool(), argv('--jsn'), work)).toBe(ExitCode.USAGE);
    expect(stderr).toEqual(["tool: unknown option '--jsn' (Did you mean --json?) (see tool --help)\n"]);
    expect(work).not.toHaveBeenCalled();
  });

  it('checks flag values with the argument parsers', async () => {
    expect(await runCli(tool(), argv('--count', '65'), async () => undefined)).toBe(ExitCode.USAGE);
    expect(stderr).toEqual([
      "tool: option '--count <n>' argument '65' is invalid. expected an integer from 1 to 64 (see tool --help)\n",
    ]);
  });

  it('prints help on stdout and exits 0', async () => {
    expect(await runCli(tool(), argv('--help'), async () => undefined)).toBe(ExitCode.OK);
    expect(stdout.join('')).toContain('Usage: tool [options]');
    expect(stderr).toEqual([]);
  });

  it('words what the work throws with the context it filled in', async () => {
    const ctx: ErrorContext = { connected: false };
    const code = await runCli(
      tool(),
      argv(),
      async () => {
        ctx.trid = parseTransportId('trtype:TCP traddr:127.0.0.1 trsvcid:4420');
        throw new TransportError('refused', 'ECONNREFUSED');
      },
      ctx,
    );
    expect(code).toBe(ExitCode.FAILURE);
    expect(stderr).toEqual(['tool: cannot connect to 127.0.0.1:4420: connection refused (is a target listening?)\n']);
  });

  it('treats a ConfigError from the work as a usage error', async () => {
    const code = await runCli(tool(), argv(), async () => {
      throw new ConfigError('-r', 'a transport ID is required');
    });
    expect(code).toBe(ExitCode.USAGE);
    expect(stderr).toEqual(['tool: -r: a transport ID is required (see tool --help)\n']);
  });
});

describe('integerArg', () => {
  it('accepts decimal integers in range only', () => {
    const parse = integerArg(1, 100);
    expect(parse('1')).toBe(1);
    expect(parse('100')).toBe(100);
    for (const bad of ['0', '101', '1.5', '1e2', 'x', '', ' 5']) expect(() => parse(bad), bad).toThrow('expected an integer from 1 to 100');
  });
});
