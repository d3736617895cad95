/**
 * The nvme-fio engine (the built one: its job clones run in worker threads
 * from dist/) against the bundled target over real TCP loopback, and against a
 * target in this process whose block device corrupts reads: job limits,
 * numjobs clones, stonewall phases, trims, rate_iops, verify.
 */
import { pathToFileURL } from 'node:url';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { FioJobRaw } from '../../src/fio/fio-stats.js';
import type { runFio as RunFio } from '../../src/fio/fio-engine.js';
import { parseTransportId } from '../../src/nvme-driver/transport-id.js';
import { MallocBlockDevice } from '../../src/target/bdev/malloc.js';
import type { BlockDevice } from '../../src/target/bdev/block-device.js';
import { CorruptingBlockDevice } from '../helpers/corrupting-block-device.js';
import { fioJob, jobFile } from '../helpers/fio-job.js';
import { serveBlockDevice } from '../helpers/in-process-target.js';
import { ensureBuilt, REPO } from './fixtures/built-dist.js';

const ENGINE = 'dist/src/fio/fio-engine.js';
const NQN = 'nqn.2016-06.io.nvmekit:fio';
let runFio: typeof RunFio;
let stderr = '';
const io = { stdout: { write: (t: string) => void t }, stderr: { write: (t: string) => void (stderr += t) } };
let stopTarget: (() => Promise<void>) | null = null;

beforeAll(async () => {
  if (!ensureBuilt(ENGINE)) throw new Error(`${ENGINE} is missing: build first with \`npm run build\``);
  ({ runFio } = (await import(pathToFileURL(`${REPO}${ENGINE}`).href)) as { runFio: typeof RunFio });
}, 120_000);

afterEach(async () => {
  await stopTarget?.();
  stopTarget = null;
  stderr = '';
});

/** A target in this process serving `bdev` as namespace 1. */
async function serve(bdev: BlockDevice): Promise<string> {
  const served = await serveBlockDevice(NQN, bdev);
  stopTarget = served.stop;
  return `trtype:TCP adrfam:IPv4 traddr:127.0.0.1 trsvcid:${served.trsvcid} subnqn:${NQN} ns:1`;
}

const ios = (r: FioJobRaw, d: 0 | 1 | 2): number => r.directions[d].lat.ios;
const MiB = 1 << 20;

describe('nvme-fio engine', () => {
  it('ends a job when its io_size is done, and measures slat + clat = lat', async () => {
    const raw = await runFio(jobFile(fioJob('r', { rw: 'randread', iodepth: 8, offset: { bytes: MiB }, size: { bytes: 4 * MiB }, ioSize: 2 * MiB })), io);
    expect(raw.jobs).toHaveLength(1);
    const j = raw.jobs[0]!;
    expect(j.error, j.errorMessage ?? '').toBe(0);
    expect(ios(j, 0)).toBe(512);
    expect(j.directions[0].lat.bytes).toBe(2 * MiB);
    expect(j.directions[0].issued).toBe(512);
    expect(ios(j, 1)).toBe(0);
    const d = j.directions[0];
    // Sums are of rounded ns per I/O: equal within a rounding per I/O.
    expect(Math.abs(d.slat.sumNs + d.clat.sumNs - d.lat.sumNs)).toBeLessThanOrEqual(2 * d.lat.ios);
    expect(d.slat.ios).toBe(512);
    expect(j.depths.depth.reduce((a, b) => a + b, 0)).toBe(512);
    expect(j.depths.depth[3]).toBeGreaterThan(0);
    expect(j.runtimeMs).toBeGreaterThan(0);
  }, 30_000);

  it('runs numjobs clones, each with its own I/O, all reporting', async () => {
    const raw = await runFio(jobFile(fioJob('w', { rw: 'randwrite', numjobs: 4, iodepth: 4, size: { bytes: 8 * MiB }, numberIos: 300, groupReporting: true })), io);
    expect(raw.jobs.map((j) => j.clone)).toEqual([0, 1, 2, 3]);
    for (const j of raw.jobs) {
      expect(j.error, j.errorMessage ?? '').toBe(0);
      expect(ios(j, 1)).toBe(300);
      expect(j.groupId).toBe(0);
    }
  }, 30_000);

  it('runs a stonewall job after the ones before it have finished, in a new group', async () => {
    const raw = await runFio(
      jobFile(
        fioJob('first', { rw: 'write', size: { bytes: 2 * MiB } }),
        fioJob('second', { rw: 'randread', size: { bytes: 2 * MiB }, newGroup: true }),
        fioJob('third', { rw: 'read', size: { bytes: 2 * MiB }, stonewall: true }),
      ),
      io,
    );
    const [first, second, third] = raw.jobs;
    expect(raw.jobs.map((j) => [j.job.name, j.groupId])).toEqual([
      ['first', 0],
      ['second', 1],
      ['third', 2],
    ]);
    expect(third!.startedAt).toBeGreaterThanOrEqual(Math.max(first!.endedAt, second!.endedAt));
    expect(ios(first!, 1)).toBe(512);
    expect(ios(third!, 0)).toBe(512);
  }, 30_000);

  it('trims through Dataset Management', async () => {
    const raw = await runFio(jobFile(fioJob('t', { rw: 'randtrim', iodepth: 4, size: { bytes: MiB } })), io);
    const j = raw.jobs[0]!;
    expect(j.error, j.errorMessage ?? '').toBe(0);
    expect(ios(j, 2)).toBe(256);
    expect(j.directions[2].lat.bytes).toBe(MiB);
  }, 30_000);

  it('holds rate_iops=1000 over 5 s within 5 %', async () => {
    const raw = await runFio(jobFile(fioJob('paced', { rw: 'randread', iodepth: 16, rateIops: [1000, 0, 0], runtimeMs: 5000, timeBased: true })), io);
    const n = ios(raw.jobs[0]!, 0);
    expect(n).toBeGreaterThanOrEqual(4750);
    expect(n).toBeLessThanOrEqual(5250);
  }, 30_000);

  it('writes, reads back and finds every block right on a correct target', async () => {
    const target = await serve(new MallocBlockDevice({ blockSize: 512, numBlocks: 8192 }));
    const raw = await runFio(
      jobFile(fioJob('v', { target: { kind: 'trid', trid: parseTransportId(target) }, rw: 'randwrite', iodepth: 16, verify: 'crc32c', size: { bytes: 2 * MiB } })),
      io,
    );
    const j = raw.jobs[0]!;
    expect(j.error, j.errorMessage ?? '').toBe(0);
    expect(ios(j, 1)).toBe(512);
    // The random map wrote every 4 KiB block once; do_verify read each back.
    expect(j.verify.checked).toBe(512);
    expect(j.verify.mismatchCount).toBe(0);
  }, 30_000);

  it('fails the job, naming the offset and both headers, when the target corrupts reads', async () => {
    const firstLba = 1024;
    const bdev = new CorruptingBlockDevice(new MallocBlockDevice({ blockSize: 512, numBlocks: 8192 }), firstLba, 64);
    const target = await serve(bdev);
    const raw = await runFio(
      jobFile(
        fioJob('v', { target: { kind: 'trid', trid: parseTransportId(target) }, rw: 'randwrite', iodepth: 8, verify: 'md5', size: { bytes: 2 * MiB }, verifyFatal: true }),
      ),
      io,
    );
    const j = raw.jobs[0]!;
    expect(j.error).toBe(84);
    expect(j.verify.mismatchCount).toBe(1);
    const m = j.verify.mismatches[0]!;
    expect(m.offset).toBeGreaterThanOrEqual(firstLba * 512);
    expect(m.offset).toBeLessThan((firstLba + 64) * 512);
    expect(m.message).toMatch(/^verify: offset \d+: payload checksum differs .*; expected header \{magic=0x5646564e offset=\d+ len=4096 seed=0x[0-9a-f]+ gen=1\}, read \{.*gen=1\}$/);
    expect(j.errorMessage).toBe(m.message);
    expect(stderr).toContain(m.message);
  }, 30_000);
});
