/**
 * A job clone's closed loop (FioWorkerContext) against an in-memory namespace:
 * limits, depths, trims, verify (right data, corrupted data, overlap), errors
 * and logs. The fake queue pair completes on the next turn and fails the test
 * if two commands in flight touch the same block while the job verifies.
 */
import { describe, expect, it } from 'vitest';
import type { IoCallback } from '../../../src/nvme-driver/queue-pair.js';
import type { PerfQpair } from '../../../src/bench/ns-worker-context.js';
import { planClones } from '../../../src/fio/fio-engine-plan.js';
import type { FioJob } from '../../../src/fio/fio-job.js';
import { FioWorkerContext, type FioCloneReport } from '../../../src/fio/fio-worker-context.js';
import { batchBucket, depthBucket } from '../../../src/fio/fio-worker-stats.js';
import { fioJob } from '../../helpers/fio-job.js';

const LBA = 512;
const NUM_LBAS = 16384; // 8 MiB

class MemoryQpair implements PerfQpair {
  readonly data = Buffer.alloc(NUM_LBAS * LBA);
  readonly inFlight = new Set<[number, number]>();
  overlaps = 0;
  maxInFlight = 0;
  commands = 0;
  /** LBA whose reads come back with a byte flipped. */
  corruptLba = -1;
  /** Fail the n-th command (1-based) with an error. */
  failAt = 0;

  read(_nsid: number, lba: number, nlb: number, buf: Buffer, cb: IoCallback): void {
    this.submit(lba, nlb, cb, () => {
      this.data.copy(buf, 0, lba * LBA, (lba + nlb) * LBA);
      if (this.corruptLba >= lba && this.corruptLba < lba + nlb) buf[(this.corruptLba - lba) * LBA + 300]! ^= 0x20;
    });
  }
  write(_nsid: number, lba: number, nlb: number, buf: Buffer, cb: IoCallback): void {
    const copy = Buffer.from(buf.subarray(0, nlb * LBA));
    this.submit(lba, nlb, cb, () => copy.copy(this.data, lba * LBA));
  }
  dsm(_nsid: number, ranges: Buffer, cb: IoCallback): void {
    const nlb = ranges.readUInt32LE(4);
    const lba = ranges.readUInt32LE(8) + ranges.readUInt32LE(12) * 2 ** 32;
    this.submit(lba, nlb, cb, () => this.data.fill(0, lba * LBA, (lba + nlb) * LBA));
  }
  processCompletions(): number {
    return 0;
  }

  private submit(lba: number, nlb: number, cb: IoCallback, apply: () => void): void {
    this.commands++;
    const range: [number, number] = [lba, lba + nlb];
    for (const [a, b] of this.inFlight) if (lba < b && a < lba + nlb) this.overlaps++;
    this.inFlight.add(range);
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight.size);
    const fail = this.commands === this.failAt;
    setImmediate(() => {
      this.inFlight.delete(range);
      if (fail) {
        cb(new Error('injected failure'), 0, 0);
        return;
      }
      apply();
      cb(null, 0, 0);
    });
  }
}

async function run(job: FioJob, qp = new MemoryQpair()): Promise<{ report: FioCloneReport; qp: MemoryQpair; logs: string[] }> {
  const [config] = planClones(job, 0, { nsid: 1, lbaBytes: LBA, numLbas: NUM_LBAS });
  const logs: string[] = [];
  let idle = 0;
  const report = await new Promise<FioCloneReport>((resolve) => {
    const ctx = new FioWorkerContext(config!, [qp], {
      log: (l) => logs.push(l),
      fatal: (m) => logs.push(`fatal: ${m}`),
      idle: () => {
        idle++;
        setImmediate(() => resolve(ctx.report()));
      },
    });
    ctx.start();
  });
  expect(idle).toBe(1);
  return { report, qp, logs };
}

const ios = (r: FioCloneReport, d: 0 | 1 | 2): number => r.directions[d].lat.ios;

describe('fio depth buckets', () => {
  it('maps depths to 1, 2, 4, 8, 16, 32, >=64 and batches to 0, 4, 8 ... >=64', () => {
    expect([1, 2, 3, 4, 5, 8, 9, 16, 17, 32, 33, 63, 64, 500].map(depthBucket)).toEqual([0, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 6, 6]);
    expect([0, 1, 4, 5, 8, 9, 16, 32, 33, 64, 65].map(batchBucket)).toEqual([0, 1, 1, 2, 2, 3, 3, 4, 5, 5, 6]);
  });
});

describe('FioWorkerContext', () => {
  it('stops at io_size, keeps iodepth in flight, and counts every I/O once per direction', async () => {
    const { report, qp } = await run(fioJob('r', { rw: 'randrw', rwMixRead: 70, iodepth: 8, size: { bytes: 4 << 20 }, ioSize: 1 << 20 }));
    expect(ios(report, 0) + ios(report, 1)).toBe(256);
    expect(report.directions[0].lat.bytes + report.directions[1].lat.bytes).toBe(1 << 20);
    expect(report.directions[0].issued + report.directions[1].issued).toBe(256);
    expect(ios(report, 0)).toBeGreaterThan(ios(report, 1));
    expect(qp.maxInFlight).toBe(8);
    expect(report.depths.depth.reduce((a, b) => a + b, 0)).toBe(256);
    expect(report.depths.complete[1]).toBe(256);
    expect(report.error).toBe(0);
  });

  it('submits in batches of iodepth_batch_submit', async () => {
    const { report } = await run(fioJob('b', { iodepth: 16, iodepthBatchSubmit: 8, numberIos: 400 }));
    expect(ios(report, 0)).toBe(400);
    const submitted = report.depths.submit;
    // The first fill is 16 at once; after that 8 at a time.
    expect(submitted[3]).toBeGreaterThanOrEqual(1);
    expect(submitted[2]).toBeGreaterThan(10);
    expect(submitted[1]).toBeLessThanOrEqual(2);
  });

  it('trims with Dataset Management ranges that name the right blocks', async () => {
    const qp = new MemoryQpair();
    qp.data.fill(0xff);
    const { report } = await run(fioJob('t', { rw: 'trim', offset: { bytes: 1 << 20 }, size: { bytes: 1 << 20 } }), qp);
    expect(ios(report, 2)).toBe(256);
    expect(qp.data.subarray(1 << 20, 2 << 20).every((b) => b === 0)).toBe(true);
    expect(qp.data[(1 << 20) - 1]).toBe(0xff);
    expect(qp.data[2 << 20]).toBe(0xff);
  });

  it('writes, reads every unit back, and finds nothing wrong, never overlapping I/O in flight', async () => {
    const { report, qp } = await run(fioJob('v', { rw: 'randwrite', iodepth: 32, size: { bytes: 1 << 20 }, verify: 'sha256' }));
    expect(ios(report, 1)).toBe(256);
    expect(ios(report, 0)).toBe(256);
    expect(report.verify).toEqual({ checked: 256, mismatchCount: 0, mismatches: [] });
    expect(qp.overlaps).toBe(0);
  });

  it('checks reads of written blocks in a mixed job with bssplit, and keeps I/O in flight apart', async () => {
    const bs = [
      { bytes: 4096, percent: 50 },
      { bytes: 16384, percent: 50 },
    ];
    const { report, qp } = await run(
      fioJob('mix', { rw: 'randrw', rwMixRead: 50, iodepth: 24, size: { bytes: 256 << 10 }, ioSize: 64 << 20, numberIos: 3000, norandommap: true, blockSizes: [bs, bs, bs], verify: 'crc32c', verifyBacklog: 16 }),
    );
    expect(report.error, report.errorMessage ?? '').toBe(0);
    // 3000 workload I/Os, plus the backlog reads verifying every 16 writes.
    expect(ios(report, 0) + ios(report, 1)).toBeGreaterThan(3000);
    expect(report.verify.checked).toBeGreaterThan(500);
    expect(qp.overlaps).toBe(0);
  });

  it('fails the job on a corrupted unit, naming its offset, and verify_fatal stops it at once', async () => {
    const qp = new MemoryQpair();
    qp.corruptLba = 100;
    const { report, logs } = await run(fioJob('v', { rw: 'write', iodepth: 4, size: { bytes: 1 << 20 }, verify: 'crc32c', verifyFatal: true }), qp);
    expect(report.error).toBe(84);
    expect(report.verify.mismatchCount).toBe(1);
    expect(report.verify.mismatches[0]!.offset).toBe(96 * LBA);
    expect(report.errorMessage).toMatch(/^verify: offset 49152: payload checksum differs/);
    expect(ios(report, 0)).toBeLessThan(256);
    expect(logs).toEqual([`v: ${report.errorMessage}`]);
  });

  it('ends the job with EIO on an I/O error, naming the command', async () => {
    const qp = new MemoryQpair();
    qp.failAt = 10;
    const { report } = await run(fioJob('e', { rw: 'read', iodepth: 2, size: { bytes: 1 << 20 } }), qp);
    expect(report.error).toBe(5);
    expect(report.errorMessage).toMatch(/^read of 4096 bytes at offset \d+: injected failure$/);
    expect(report.directions[0].lat.errors).toBe(1);
    expect(ios(report, 0)).toBeLessThan(256);
  });

  it('writes a latency log entry per I/O when asked, with the block size', async () => {
    const { report } = await run(fioJob('l', { rw: 'randwrite', numberIos: 50, writeLatLog: 'l' }));
    expect(report.logs.lat).toHaveLength(50);
    expect(report.logs.clat).toHaveLength(50);
    expect(report.logs.slat).toHaveLength(50);
    expect(report.logs.lat!.every((e) => e.ddir === 1 && e.bs === 4096 && e.value > 0)).toBe(true);
    expect(report.logs.iops).toBeUndefined();
  });

  it('leaves the I/O of ramp_time out of the measurement', async () => {
    const { report, qp } = await run(fioJob('ramp', { iodepth: 4, rampTimeMs: 50, runtimeMs: 100, timeBased: true }));
    const measured = ios(report, 0);
    expect(measured).toBeGreaterThan(0);
    expect(measured).toBeLessThan(qp.commands);
    expect(report.directions[0].issued).toBeLessThan(qp.commands);
  });

  it('waits thinktime between I/Os and still does them all', async () => {
    const { report } = await run(fioJob('think', { iodepth: 4, numberIos: 40, thinktimeUs: 500 }));
    expect(ios(report, 0)).toBe(40);
  });
});
