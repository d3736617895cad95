/**
 * nvme-identify (dist/tools/nvme-identify.js) against our own target
 * (dist/tools/nvme-target.js) on 127.0.0.1, both as separate processes the way
 * a user runs them. dist/ must be built first (`npm run build`; CI's `npm ci` does it).
 */
import { createServer, type Server, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closedPort, requireBuilt, runTool, startTarget, stopTarget, TARGET, tool, trid, type Run, type TargetProcess } from './fixtures/cli-process.js';

const IDENTIFY = tool('nvme-identify');
const NQN = 'nqn.2016-06.io.nvmekit:identify-test';
const DISCOVERY_NQN = 'nqn.2014-08.org.nvmexpress.discovery';
const ALLOWED_HOST = 'nqn.2014-08.org.nvmexpress:uuid:11111111-2222-4333-8444-555555555555';
const OTHER_HOST = 'nqn.2014-08.org.nvmexpress:uuid:99999999-8888-4777-8666-555555555555';
/** A run that takes longer than this is a hang (no detach, a handle left open). */
const RUN_LIMIT_MS = 20_000;

const identify = (...args: string[]): Promise<Run> => runTool(IDENTIFY, args, RUN_LIMIT_MS);

/** The run failed with exactly one stderr line and nothing on stdout. */
function oneLineFailure(run: Run, code: number): string {
  expect(run.code, run.stderr).toBe(code);
  expect(run.stdout).toBe('');
  expect(run.stderr.endsWith('\n')).toBe(true);
  const lines = run.stderr.trimEnd().split('\n');
  expect(lines, run.stderr).toHaveLength(1);
  return lines[0]!;
}

beforeAll(() => requireBuilt(IDENTIFY, TARGET));

describe('nvme-identify against nvme-target', () => {
  let target: TargetProcess | undefined;

  beforeAll(async () => {
    target = await startTarget(['--nqn', NQN, '--malloc', '64M', '--null', '1G', '--serial', 'NVMEKIT-ID-1', '--model', 'nvmekit identify test']);
  });

  afterAll(() => stopTarget(target));

  it('prints the controller and its namespaces as spdk_nvme_identify does', async () => {
    const run = await identify('-r', trid(target!.port, NQN));
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const out = run.stdout;
    expect(out).toContain(`NVMeoF Controller at TCP (addr:127.0.0.1 subnqn:${NQN})`);
    expect(out).toMatch(/^Serial Number: +NVMEKIT-ID-1$/m);
    expect(out).toMatch(/^Model Number: +nvmekit identify test$/m);
    expect(out).toMatch(new RegExp(`^Subsystem NQN: +${NQN.replace(/\./g, '\\.')}$`, 'm'));
    expect(out).toMatch(/^Max Number of I\/O Queues: +[1-9]\d*$/m);
    expect(out).toMatch(/^Active Namespaces\n=+\nNamespace ID:1\n/m);
    expect(out).toMatch(/Namespace ID:1\n[^]*?^Size \(in LBAs\): +131072 \(0GiB\)$/m);
    expect(out).toMatch(/Namespace ID:2\n[^]*?^Size \(in LBAs\): +2097152 \(1GiB\)$/m);
    expect(out).not.toContain('Discovery Log Page');
  });

  it('gets every feature it asks for: Health Information and Error Recovery print, and no command lands in the error log', async () => {
    const run = await identify('-r', trid(target!.port, NQN));
    expect(run.code, run.stderr).toBe(0);
    const out = run.stdout;
    expect(out).toMatch(/^Health Information\n=+\n/m);
    expect(out).toMatch(/^Current Temperature: +300 Kelvin \(27 Celsius\)$/m);
    expect(out).toMatch(/^Temperature Threshold: +343 Kelvin \(70 Celsius\)$/m);
    expect(out).toMatch(/^Lifetime Error Log Entries: +0$/m);
    expect(out.match(/^Error Recovery Timeout: +Unlimited$/gm)).toHaveLength(2);
  });

  it('prints JSON with the Identify data, features and namespaces', async () => {
    const run = await identify('-r', trid(target!.port, NQN), '--json');
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const report = JSON.parse(run.stdout);
    expect(report.trid).toBe(trid(target!.port, NQN));
    expect(report.controller.subnqn).toBe(NQN);
    expect(report.controller.sn.trim()).toBe('NVMEKIT-ID-1');
    expect(report.controller.mn.trim()).toBe('nvmekit identify test');
    expect(report.registers.vs.version).toMatch(/^\d+\.\d+/);
    expect(report.registers.csts.rdy).toBe(true);
    expect(report.features.numberOfQueues.nsqr).toBeGreaterThan(0);
    expect(report.namespaces.map((ns: { nsid: number; nsze: number }) => [ns.nsid, ns.nsze])).toEqual([
      [1, 131072],
      [2, 2097152],
    ]);
    expect(report).not.toHaveProperty('discovery');
  });

  it('prints the Discovery Log Page when no subnqn is given', async () => {
    const run = await identify('-r', trid(target!.port));
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const out = run.stdout;
    expect(out).toContain(`NVMeoF Controller at TCP (addr:127.0.0.1 subnqn:${DISCOVERY_NQN})`);
    expect(out).toMatch(/^Discovery Log Page\n=+\nGeneration Counter: +\d+\nNumber of Records: +[1-9]\d*\n/m);
    const entries = out.split(/^Discovery Log Entry \d+$/m).slice(1);
    const ours = entries.find((e) => e.includes(`NVM Subsystem Qualified Name:          ${NQN}\n`));
    expect(ours).toBeDefined();
    expect(ours).toMatch(/^Subsystem Type: +2 \(NVM Subsystem\)$/m);
    expect(ours).toMatch(new RegExp(`^Transport Service Identifier: +${target!.port} *$`, 'm'));
    expect(ours).toMatch(/^Transport Address: +127\.0\.0\.1 *$/m);
  });

  it('adds hex dumps of the raw data with -x, and refuses -x with --json', async () => {
    const run = await identify('-r', trid(target!.port, NQN), '-x');
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^Identify Controller \(4096 bytes\)\n=+\n00000000: [0-9A-F]{2} /m);
    expect(run.stdout).toMatch(/^Identify Namespace 2 \(4096 bytes\)$/m);
    const line = oneLineFailure(await identify('-r', trid(target!.port, NQN), '-x', '--json'), 2);
    expect(line).toBe("nvme-identify: option '-x' cannot be used with option '--json' (see nvme-identify --help)");
  });

  it('traces commands and completions on stderr with --trace', async () => {
    const run = await identify('-r', trid(target!.port, NQN), '--trace');
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('Namespace ID:1');
    expect(run.stderr).toMatch(/FABRIC CONNECT qid:0 cid:\d+/);
    expect(run.stderr).toMatch(/IDENTIFY \(06\) qid:0 cid:\d+ nsid:0 cdw10:00000001/);
    expect(run.stderr).toMatch(/SUCCESS \(00\/00\) qid:0/);
  });

  it('works with NVMe/TCP header and data digests', async () => {
    const run = await identify('-r', trid(target!.port, NQN), '--hdgst', '--ddgst', '--json');
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout).namespaces).toHaveLength(2);
  });

  it('accepts SPDK environment flags, says once that it ignores them, and still works', async () => {
    const run = await identify('-i', '0', '-s', '512', '-g', '-r', trid(target!.port, NQN));
    expect(run.code).toBe(0);
    expect(run.stderr).toBe('nvme-identify: ignoring SPDK flags -g -i -s (no effect in nvmekit)\n');
    expect(run.stdout).toContain('Namespace ID:1');
  });

  it('says so in one line when the subsystem does not exist', async () => {
    const missing = 'nqn.2016-06.io.nvmekit:missing';
    const line = oneLineFailure(await identify('-r', trid(target!.port, missing)), 1);
    expect(line).toBe(`nvme-identify: subsystem ${missing} not found on 127.0.0.1:${target!.port}`);
  });
});

describe('nvme-identify and a subsystem with an allowed-host list', () => {
  let target: TargetProcess | undefined;

  beforeAll(async () => {
    target = await startTarget(['--nqn', NQN, '--malloc', '8M', '--allow-host', ALLOWED_HOST]);
  });

  afterAll(() => stopTarget(target));

  it('names the host that is not allowed', async () => {
    const line = oneLineFailure(await identify('-r', trid(target!.port, NQN), '--hostnqn', OTHER_HOST), 1);
    expect(line).toBe(`nvme-identify: host ${OTHER_HOST} is not allowed by subsystem ${NQN} on 127.0.0.1:${target!.port}`);
  });

  it('lets the allowed host in, given by flag or in the transport ID', async () => {
    const byFlag = await identify('-r', trid(target!.port, NQN), '--hostnqn', ALLOWED_HOST);
    expect(byFlag.stderr).toBe('');
    expect(byFlag.code).toBe(0);
    const inTrid = await identify('-r', `${trid(target!.port, NQN)} hostnqn:${ALLOWED_HOST}`);
    expect(inTrid.stderr).toBe('');
    expect(inTrid.code).toBe(0);
    expect(inTrid.stdout).toContain('Namespace ID:1');
  });
});

describe('nvme-identify failing to connect', () => {
  it('says nobody listens on a refused port', async () => {
    const port = await closedPort();
    const line = oneLineFailure(await identify('-r', trid(String(port), NQN)), 1);
    expect(line).toBe(`nvme-identify: cannot connect to 127.0.0.1:${port}: connection refused (is a target listening?)`);
  });

  it('gives up after --connect-timeout when the peer never answers', async () => {
    const sockets: Socket[] = [];
    const silent: Server = createServer((s) => void sockets.push(s));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const { port } = silent.address() as { port: number };
    try {
      const line = oneLineFailure(await identify('-r', trid(String(port), NQN), '--connect-timeout', '300'), 1);
      expect(line).toMatch(new RegExp(`^nvme-identify: cannot connect to 127\\.0\\.0\\.1:${port}: .*\\b300 ms\\b`));
    } finally {
      for (const s of sockets) s.destroy();
      await new Promise((resolve) => silent.close(resolve));
    }
  });

  it('rejects a bad transport ID before connecting (exit 2)', async () => {
    const line = oneLineFailure(await identify('-r', 'trtype:TCP traddr:127.0.0.1 trsvcid:99999'), 2);
    expect(line).toMatch(/^nvme-identify: -r 'trtype:TCP traddr:127\.0\.0\.1 trsvcid:99999': .*trsvcid must be an integer from 1 to 65535/);
    expect(oneLineFailure(await identify('-r', 'trtype:TCP'), 2)).toMatch(/traddr: missing/);
  });

  it('looks for local PCIe controllers without -r, as SPDK does, and names unknown flags (exit 2)', async () => {
    // This machine has no NVMe controller on vfio-pci, so no -r ends with what was looked for and how to give -r.
    expect(oneLineFailure(await identify(), 2)).toMatch(/^nvme-identify: -r: no -r, so trtype:PCIe without traddr found no NVMe controller bound to vfio-pci .*; for an NVMe-oF controller give one, e\.g\. -r '/);
    expect(oneLineFailure(await identify('--jsno'), 2)).toBe(
      "nvme-identify: unknown option '--jsno' (Did you mean --json?) (see nvme-identify --help)",
    );
  });
});
