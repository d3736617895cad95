/**
 * nvme-perf as users run it: `--loopback`, SPDK's own command line against a
 * separately started nvme-target, discovery, `-d`, `--json`, and the one-line
 * errors for bad flags and unreachable targets. Short runs; numbers are
 * checked for being there, never for being fast.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closedPort, parseTable, perf, requireBuild, startTarget, startupLines, stopTarget, trid, type TargetProcess } from './perf-process.js';

const NQN = 'nqn.2016-06.io.nvmekit:cnode1';
const LOOPBACK = 'TCP (addr:127.0.0.1 subnqn:nqn.2016-06.io.nvmekit:loopback)';
const CUTOFF_LINE = /^ *\d+\.\d{5}% : +\d+\.\d{3}us$/;

let dir: string;

beforeAll(() => {
  requireBuild();
  dir = mkdtempSync(join(tmpdir(), 'nvme-perf-test-'));
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('nvme-perf --loopback', () => {
  it("runs the bundled target and prints SPDK's report; the required flags default to 4 KiB randread at QD 64", async () => {
    const json = join(dir, 'loopback.json');
    const run = await perf('--loopback', '-t', '1', '--json', json);
    expect(run.code, run.stderr).toBe(0);
    expect(startupLines(run.stdout)).toEqual([
      'Initializing NVMe Controllers',
      `Attached to NVMeoF Controller at ${LOOPBACK}`,
      `Associating ${LOOPBACK} NSID 1 with lcore 0`,
      'Initialization complete. Launching workers.',
    ]);
    const { rows, total } = parseTable(run.stdout);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ name: `${LOOPBACK} NSID 1`, lcore: 0 });
    expect(rows[0]!.iops).toBeGreaterThan(0);
    expect(total).toMatchObject({ name: 'Total', lcore: null, iops: rows[0]!.iops, mibps: rows[0]!.mibps });
    expect(run.stderr).toMatch(/^nvme-perf: loopback target trtype:TCP adrfam:IPv4 traddr:127\.0\.0\.1 trsvcid:\d+ subnqn:nqn\.2016-06\.io\.nvmekit:loopback on core 1$/m);
    expect(run.stderr).not.toContain('unpinned');

    const doc = JSON.parse(readFileSync(json, 'utf8'));
    expect(doc.schema).toBe('nvmekit-perf/1');
    expect(doc.settings).toMatchObject({ ioDepth: 64, ioSizeBytes: 4096, pattern: 'randread', timeSec: 1, loopback: true, cores: [0] });
    expect(doc.rows[0].iops).toBeCloseTo(rows[0]!.iops, 1);
  });

  it('-d ends the run after exactly that many I/Os', async () => {
    const run = await perf('--loopback', '-q', '16', '-o', '4096', '-w', 'randread', '-t', '30', '-d', '5000', '--json', '-');
    expect(run.code, run.stderr).toBe(0);
    const doc = JSON.parse(run.stdout);
    expect(doc.rows.map((r: { ios: number }) => r.ios)).toEqual([5000]);
    expect(doc.total.ios).toBe(5000);
    expect(doc.elapsedUs).toBeLessThan(30e6);
  });
});

describe('nvme-perf against nvme-target', () => {
  let target: TargetProcess | undefined;

  beforeAll(async () => {
    target = await startTarget(['--malloc', '64M']);
  });

  afterAll(() => stopTarget(target));

  it("runs SPDK's command line unchanged: two workers, two queue pairs each, per-core rows and the -L summary; --json parses", async () => {
    const json = join(dir, 'spdk.json');
    const run = await perf('-q', '64', '-o', '4096', '-w', 'randrw', '-M', '70', '-t', '1', '-c', '0x3', '-P', '2', '-L', '-r', trid(target!.port, NQN), '--json', json);
    expect(run.code, run.stderr).toBe(0);
    const name = `TCP (addr:127.0.0.1 subnqn:${NQN})`;
    expect(startupLines(run.stdout)).toEqual([
      'Initializing NVMe Controllers',
      `Attached to NVMeoF Controller at ${name}`,
      `Associating ${name} NSID 1 with lcore 0`,
      `Associating ${name} NSID 1 with lcore 1`,
      'Initialization complete. Launching workers.',
    ]);
    const { rows, total } = parseTable(run.stdout);
    expect(rows.map((r) => [r.name, r.lcore])).toEqual([
      [`${name} NSID 1`, 0],
      [`${name} NSID 1`, 1],
    ]);
    for (const r of rows) expect(r.iops).toBeGreaterThan(0);
    expect(total.iops).toBeCloseTo(rows[0]!.iops + rows[1]!.iops, 1);
    for (const core of [0, 1]) {
      const heading = `Summary latency data for ${name.slice(0, 43)} from core ${core}:`;
      const lines = run.stdout.split('\n');
      const at = lines.indexOf(heading);
      expect(at, run.stdout).toBeGreaterThan(0);
      expect(lines[at + 1]).toBe('='.repeat(81));
      const cutoffs = lines.slice(at + 2, at + 17);
      expect(cutoffs.every((l) => CUTOFF_LINE.test(l)), cutoffs.join('\n')).toBe(true);
      expect(cutoffs[0]).toMatch(/^ {2}1\.00000% :/);
      expect(cutoffs[14]).toMatch(/^ 99\.99999% :/);
    }

    const doc = JSON.parse(readFileSync(json, 'utf8'));
    expect(doc.settings).toMatchObject({ numQpairs: 2, cores: [0, 1], rwMixRead: 70, latencyTracking: 1 });
    expect(doc.rows).toHaveLength(2);
    expect(doc.total.ios).toBe(doc.rows[0].ios + doc.rows[1].ios);
    expect(Object.keys(doc.rows[0].latencyUs.percentiles)).toHaveLength(15);
  });

  it('attaches every subsystem the discovery controller lists when -r has no subnqn, and ns:N picks the namespace', async () => {
    const run = await perf('-q', '4', '-o', '4096', '-w', 'read', '-t', '1', '-r', `${trid(target!.port)} ns:1`);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain(`Attached to NVMeoF Controller at TCP (addr:127.0.0.1 subnqn:${NQN})\n`);
    expect(parseTable(run.stdout).rows.map((r) => r.name)).toEqual([`TCP (addr:127.0.0.1 subnqn:${NQN}) NSID 1`]);

    const missing = await perf('-q', '4', '-o', '4096', '-w', 'read', '-t', '1', '-r', `${trid(target!.port, NQN)} ns:7`);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain(`nvme-perf: namespace 7 does not exist on TCP (addr:127.0.0.1 subnqn:${NQN}) (ns:7 in -r)\n`);
  });
});

describe('nvme-perf errors', () => {
  const BASE = ['-q', '8', '-o', '4096', '-w', 'randread', '-t', '1', '--loopback'];
  const cases: [string, string[], RegExp][] = [
    ['-q 0', ['-q', '0', '-o', '4096', '-w', 'randread', '-t', '1', '--loopback'], /^nvme-perf: -q: missing or 0: required/],
    ['an unknown pattern', ['-w', 'sideways', ...BASE.slice(0, 4)], /^nvme-perf: -w: expected one of read, write, randread, randwrite, rw, randrw, got 'sideways'/],
    ['-o not a multiple of 512', [...BASE, '-o', '1000'], /^nvme-perf: -o: 1000 is not a multiple of 512/],
    ['-M out of range', [...BASE, '-w', 'randrw', '-M', '101'], /^nvme-perf: -M: must be from 0 to 100, got 101/],
    ['an unknown option', [...BASE, '--bogus'], /^nvme-perf: --bogus: unknown option/],
    ['a bad transport ID', ['-q', '8', '-o', '4096', '-w', 'read', '-t', '1', '-r', 'trtype:XYZ traddr:1.2.3.4'], /^nvme-perf: -r: bad transport ID 'trtype:XYZ traddr:1\.2\.3\.4'/],
    ['a core that does not exist', [...BASE, '-c', '[1000]'], /^nvme-perf: -c: core 1000 does not exist/],
  ];
  it.each(cases)('%s: one line naming the flag, exit 2', async (_what, args, message) => {
    const run = await perf(...args);
    expect(run.code).toBe(2);
    expect(run.stdout).toBe('');
    const lines = run.stderr.trimEnd().split('\n');
    expect(lines, run.stderr).toHaveLength(1);
    expect(lines[0]).toMatch(message);
    expect(lines[0]).toMatch(/\(see nvme-perf --help\)$/);
  });

  it('an unreachable target: one line with the address and the reason, exit 1', async () => {
    const port = await closedPort();
    const run = await perf('-q', '8', '-o', '4096', '-w', 'read', '-t', '1', '-r', trid(port, NQN));
    expect(run.code).toBe(1);
    expect(run.stderr).toBe(`nvme-perf: cannot connect to 127.0.0.1:${port}: connection refused (is a target listening?)\n`);
    expect(run.stdout).toBe('Initializing NVMe Controllers\n');
  });
});
