/**
 * The nvme-fio CLI as a user runs it (dist/tools/nvme-fio.js in its own
 * process): the four-job file against the bundled target, numjobs=4
 * summed by group_reporting, a command-line job against a separately started
 * nvme-target, Ctrl-C, and one-line errors.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawn } from 'node:child_process';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { requireBuilt, runTool, startTarget, stopTarget, TARGET, tool, type TargetProcess } from './fixtures/cli-process.js';
import { ensureBuilt } from './fixtures/built-dist.js';

const FIO = tool('nvme-fio');
let dir: string;
let target: TargetProcess | undefined;

beforeAll(() => {
  ensureBuilt('dist/tools/nvme-fio.js');
  requireBuilt(FIO, TARGET);
  dir = mkdtempSync(join(tmpdir(), 'nvme-fio-'));
}, 120_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));
afterEach(async () => {
  await stopTarget(target);
  target = undefined;
});

/**
 * The four jobs, each on its own 8 MiB of the loopback namespace so the
 * writers do not overwrite the verifier, which runs until its 8 MiB are written
 * and read back (a runtime would end it before the read-back, as in fio).
 */
const FOUR_JOBS = `[global]
ioengine=nvmekit
filename=loopback
size=8M
runtime=1

[randread-qd32]
rw=randread
bs=4k
iodepth=32
time_based=1

[randwrite-verify]
offset=8M
runtime=0
rw=randwrite
bs=4k
iodepth=8
verify=crc32c

[mixed-70-30]
offset=16M
rw=randrw
rwmixread=70
rate_iops=700,300
iodepth=4
time_based=1

[seqread-128k]
offset=24M
rw=read
bs=128k
iodepth=4
time_based=1
`;

interface JsonDir {
  io_bytes: number;
  total_ios: number;
  iops: number;
}
interface JsonJob {
  jobname: string;
  groupid: number;
  error: number;
  read: JsonDir;
  write: JsonDir;
}

describe('nvme-fio', () => {
  it('runs the four-job file against the bundled target and prints fio text and JSON', async () => {
    const file = join(dir, 'four.fio');
    writeFileSync(file, FOUR_JOBS);
    const run = await runTool(FIO, ['--output-format=normal,json', file], 60_000);
    expect(run.code, run.stderr).toBe(0);
    for (const name of ['randread-qd32', 'randwrite-verify', 'mixed-70-30', 'seqread-128k']) expect(run.stdout).toMatch(new RegExp(`^${name}: \\(groupid=0, jobs=1\\): err= 0`, 'm'));
    const doc = JSON.parse(run.stdout.slice(run.stdout.indexOf('\n{') + 1)) as { jobs: JsonJob[] };
    const byName = new Map(doc.jobs.map((j) => [j.jobname, j]));
    expect(byName.get('randread-qd32')!.read.total_ios).toBeGreaterThan(0);
    expect(byName.get('randread-qd32')!.write.total_ios).toBe(0);
    // 8 MiB written once in 4 KiB blocks, then every block read back by do_verify.
    expect(byName.get('randwrite-verify')!.write.total_ios).toBe(2048);
    expect(byName.get('randwrite-verify')!.read.total_ios).toBe(2048);
    const mixed = byName.get('mixed-70-30')!;
    expect(mixed.read.total_ios).toBeGreaterThan(mixed.write.total_ios);
    expect(byName.get('seqread-128k')!.read.io_bytes % (128 * 1024)).toBe(0);
  }, 90_000);

  it('sums four clones into one job with group_reporting, and writes the logs and HTML report asked for', async () => {
    const report = join(dir, 'w.html');
    const args = ['--output-format=json', `--report=${report}`, '--name=w', '--filename=loopback', '--rw=randwrite', '--bs=4k', '--size=4M'];
    args.push('--number_ios=250', '--numjobs=4', '--group_reporting', '--iodepth=4', `--write_lat_log=${join(dir, 'w')}`);
    const run = await runTool(FIO, args, 60_000);
    expect(run.code, run.stderr).toBe(0);
    const doc = JSON.parse(run.stdout) as { jobs: JsonJob[] };
    expect(doc.jobs).toHaveLength(1);
    expect(doc.jobs[0]!.write.total_ios).toBe(1000);
    expect(doc.jobs[0]!.write.io_bytes).toBe(1000 * 4096);
    // One latency entry per I/O per clone: time, ns, direction 1, 4096 bytes, prio 0.
    for (const clone of [1, 2, 3, 4]) {
      const lines = readFileSync(join(dir, `w_lat.${clone}.log`), 'utf8').trim().split('\n');
      expect(lines).toHaveLength(250);
      expect(lines.every((l) => /^\d+, \d+, 1, 4096, 0$/.test(l))).toBe(true);
    }
    expect(readFileSync(report, 'utf8')).toContain('<svg');
  }, 90_000);

  it('runs a command-line job against a separately started nvme-target', async () => {
    target = await startTarget(['--malloc', '16M:512']);
    const subnqn = /subnqn:(\S+)/.exec(target.trid)![1]!.replace(/:/g, '\\:');
    const filename = `trtype=TCP adrfam=IPv4 traddr=127.0.0.1 trsvcid=${target.port} subnqn=${subnqn} ns=1`;
    const run = await runTool(FIO, ['--output-format=json', '--name=rr', `--filename=${filename}`, '--rw=randrw', '--bs=8k', '--iodepth=8', '--io_size=4M'], 60_000);
    expect(run.code, run.stderr).toBe(0);
    const job = (JSON.parse(run.stdout) as { jobs: JsonJob[] }).jobs[0]!;
    expect(job.read.io_bytes + job.write.io_bytes).toBe(4 * 1024 * 1024);
  }, 90_000);

  it('stops on Ctrl-C and still prints what the job measured', async () => {
    const child = spawn(process.execPath, [FIO, '--name=long', '--filename=loopback', '--rw=randread', '--runtime=60', '--time_based'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
      // The loopback line comes once the run is being set up; the signal then lands in the run.
      if (stderr.includes('loopback target')) setTimeout(() => child.kill('SIGINT'), 1000);
    });
    const code = await new Promise<number | null>((resolve) => child.once('close', resolve));
    expect(stderr).toContain('stopping the jobs');
    expect(code).toBe(1);
    expect(stdout).toMatch(/^long: \(groupid=0, jobs=1\): err= 0/m);
    expect(stdout).toMatch(/read: IOPS=/);
  }, 60_000);

  it('names the option, file and line of a bad job file in one line, exit 2', async () => {
    const file = join(dir, 'bad.fio');
    writeFileSync(file, '[j]\nfilename=loopback\nrw=sideways\n');
    const run = await runTool(FIO, [file], 30_000);
    expect(run.code).toBe(2);
    expect(run.stderr.trim().split('\n')).toHaveLength(1);
    expect(run.stderr).toContain(`${file}:3`);
    expect(run.stderr).toContain("'rw'");
  }, 30_000);

  it('rejects an unknown --output-format', async () => {
    const run = await runTool(FIO, ['--output-format=terse', '--name=x'], 30_000);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/^nvme-fio: .*--output-format.*got 'terse'/);
  }, 30_000);
});
