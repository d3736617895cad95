/**
 * The nvme-target CLI as users run it: the compiled dist/tools/nvme-target.js
 * in its own process (built here first when dist is older than the sources).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { encodeCommand, Identify } from '../../src/spec/commands.js';
import { PduType } from '../../src/spec/tcp/index.js';
import { RawHost, SUBNQN } from '../unit/target-tcp/raw-host.js';
import { HAS_IPV6_LOOPBACK } from '../unit/target-tcp/fixture.js';
import { ensureBuilt, REPO } from './fixtures/built-dist.js';

const CLI = join(REPO, 'dist/tools/nvme-target.js');

beforeAll(() => {
  expect(ensureBuilt('dist/tools/nvme-target.js')).toBe(true);
}, 180_000);

interface Running {
  child: ChildProcess;
  ports: number[];
  readyLines: string[];
  stderr: () => string;
  exit: Promise<number | null>;
}

/** Starts the CLI and waits for one ready line per `--listen`. */
async function startCli(args: string[], listeners: number): Promise<Running> {
  const child = spawn(process.execPath, [CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  const exit = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const readyLines = await new Promise<string[]>((resolve, reject) => {
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const lines = out.split('\n').filter((l) => l.startsWith('ready: '));
      if (lines.length === listeners) resolve(lines);
    });
    void exit.then((code) => reject(new Error(`nvme-target exited with ${code} before it was ready: ${err}`)));
  });
  const ports = readyLines.map((l) => Number(/trsvcid:(\d+)/.exec(l)![1]));
  return { child, ports, readyLines, stderr: () => err, exit };
}

function runToExit(args: string[]): { status: number | null; stderr: string; stdout: string } {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', timeout: 20_000 });
  return { status: r.status, stderr: r.stderr, stdout: r.stdout };
}

describe('nvme-target CLI', () => {
  let running: Running | null = null;
  afterEach(() => {
    running?.child.kill('SIGKILL');
    running = null;
  });

  it('serves the demo subsystem on a free port, prints the ready line, and exits 0 on SIGTERM', async () => {
    running = await startCli(['--listen', 'tcp://127.0.0.1:0'], 1);
    expect(running.readyLines[0]).toMatch(
      /^ready: trtype:TCP adrfam:IPv4 traddr:127\.0\.0\.1 trsvcid:\d+ subnqn:nqn\.2016-06\.io\.nvmekit:cnode1$/,
    );
    const host = await RawHost.connect(running.ports[0]!);
    const ic = await host.initialize();
    expect(ic).toMatchObject({ type: PduType.IC_RESP, pfv: 0, maxh2cdata: 131072 });
    expect((await host.connectQueue(0)).status).toBe('0/0x00');
    running.child.kill('SIGTERM');
    expect(await running.exit).toBe(0);
    await host.ended;
    expect(running.stderr()).toBe('');
  });

  it('builds the namespaces in flag order with their block sizes, and stops on SIGINT', async () => {
    running = await startCli(['--listen', 'tcp://127.0.0.1:0', '--null', '1G', '--malloc', '64M:4096', '--nqn', SUBNQN], 1);
    const host = await RawHost.start(running.ports[0]!);
    await host.connectQueue(0);
    await host.enable();
    const geometry: [number, number][] = [];
    for (const nsid of [1, 2]) {
      const r = await host.run(encodeCommand(Identify, Buffer.alloc(64), { cns: 0, nsid }), { readLength: 4096 });
      const lbaf = r.data[26]! & 0x0f;
      geometry.push([Number(r.data.readBigUInt64LE(0)), 2 ** r.data[128 + lbaf * 4 + 2]!]);
    }
    expect(geometry).toEqual([
      [(1 << 30) / 512, 512],
      [(64 << 20) / 4096, 4096],
    ]);
    running.child.kill('SIGINT');
    expect(await running.exit).toBe(0);
  });

  it('lets only --allow-host hosts connect', async () => {
    running = await startCli(['--listen', 'tcp://127.0.0.1:0', '--allow-host', 'nqn.2014-08.org.nvmexpress:uuid:00000000-0000-0000-0000-000000000001'], 1);
    const host = await RawHost.start(running.ports[0]!);
    const c = await host.connectQueue(0);
    expect(c.status).toBe('1/0x84');
    host.close();
  });

  it.skipIf(!HAS_IPV6_LOOPBACK)('listens on several addresses, IPv6 included', async () => {
    running = await startCli(['--listen', 'tcp://127.0.0.1:0', '--listen', 'tcp://[::1]:0', '-v'], 2);
    expect(running.readyLines[1]).toContain('adrfam:IPv6 traddr:::1');
    const host = await RawHost.start(running.ports[1]!, {}, '::1');
    expect((await host.connectQueue(0)).status).toBe('0/0x00');
    host.close();
    running.child.kill('SIGTERM');
    expect(await running.exit).toBe(0);
    expect(running.stderr()).toContain('connected');
  });

  it.each([
    [['--max-queue-depth', '1'], '--max-queue-depth'],
    [['--malloc', '64Q'], '--malloc'],
    [['--listen', 'http://127.0.0.1:4420'], '--listen'],
    [['--nqn', 'not-an-nqn'], '--nqn'],
    [['--in-capsule-data-size', '1000'], '--in-capsule-data-size'],
    [['--frobnicate'], '--frobnicate'],
  ])('rejects %j with exit 2 and one line naming the flag', (args, flag) => {
    const r = runToExit(args);
    expect(r.status).toBe(2);
    const lines = r.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^nvme-target: /);
    expect(lines[0]).toContain(flag);
    expect(r.stdout).toBe('');
  });

  it('exits 1 with a clear message when the port is in use', async () => {
    running = await startCli(['--listen', 'tcp://127.0.0.1:0'], 1);
    const r = runToExit(['--listen', `tcp://127.0.0.1:${running.ports[0]}`]);
    expect(r.status).toBe(1);
    expect(r.stderr.trim()).toBe(
      `nvme-target: cannot listen on tcp://127.0.0.1:${running.ports[0]}: address already in use (is another target listening on this port?)`,
    );
  });
});
