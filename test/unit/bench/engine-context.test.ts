/**
 * The per-(worker, namespace) closed loop and a worker's run, driven against
 * in-memory queue pairs: queue depth and round-robin, -d, errors with and
 * without -Q, a dying queue pair, --verify on a correct and a corrupting
 * device, stop, warm-up and polling.
 */
import { describe, expect, it } from 'vitest';
import type { IoCallback } from '../../../src/nvme-driver/queue-pair.js';
import { TransportError } from '../../../src/spec/errors.js';
import { GenericStatus, NvmeStatusError, StatusCodeType } from '../../../src/spec/status.js';
import type { NsContextConfig, PerfQpair } from '../../../src/bench/ns-worker-context.js';
import { LatencyStats } from '../../../src/bench/latency-stats.js';
import { PerfWorkerRun, POLL_MAX_IN_FLIGHT, PROGRESS_CELLS, workerPolling, type ContextSetup, type WorkerPolling } from '../../../src/bench/perf-worker-run.js';

const BLOCK = 512;
const IO_BLOCKS = 8;

/** A RAM namespace shared by fake queue pairs; records what was in flight at once. */
class FakeDevice {
  readonly data: Buffer;
  outstanding = 0;
  maxOutstanding = 0;
  /** I/Os that overlapped an LBA range already in flight (a --verify violation). */
  overlaps = 0;
  private readonly busy = new Map<number, number>();

  constructor(readonly numBlocks: number) {
    this.data = Buffer.alloc(numBlocks * BLOCK);
  }

  begin(lba: number, nlb: number): void {
    this.outstanding++;
    this.maxOutstanding = Math.max(this.maxOutstanding, this.outstanding);
    for (let b = lba; b < lba + nlb; b++) {
      if (this.busy.has(b)) this.overlaps++;
      this.busy.set(b, 1);
    }
  }

  end(lba: number, nlb: number): void {
    this.outstanding--;
    for (let b = lba; b < lba + nlb; b++) this.busy.delete(b);
  }
}

interface FakeQpairOptions {
  /** An error for this command, or null for success. */
  error?: (isRead: boolean, lba: number) => Error | null;
  /** Flip a bit in the data returned for a read of this LBA. */
  corrupt?: (lba: number) => boolean;
}

/** Completes every command on the next turn of the event loop, like a fast target. */
class FakeQpair implements PerfQpair {
  submitted = 0;
  polls: number[] = [];

  constructor(
    private readonly dev: FakeDevice,
    private readonly opts: FakeQpairOptions = {},
  ) {}

  read(_nsid: number, lba: number, nlb: number, buf: Buffer, cb: IoCallback): void {
    this.io(true, lba, nlb, cb, () => {
      this.dev.data.copy(buf, 0, lba * BLOCK, (lba + nlb) * BLOCK);
      for (let b = 0; b < nlb; b++) if (this.opts.corrupt?.(lba + b)) buf[b * BLOCK + 100]! ^= 0x10;
    });
  }

  write(_nsid: number, lba: number, nlb: number, buf: Buffer, cb: IoCallback): void {
    this.io(false, lba, nlb, cb, () => buf.copy(this.dev.data, lba * BLOCK, 0, nlb * BLOCK));
  }

  processCompletions(max: number): number {
    if (this.polls.length < 100) this.polls.push(max);
    return 0;
  }

  private io(isRead: boolean, lba: number, nlb: number, cb: IoCallback, move: () => void): void {
    this.submitted++;
    this.dev.begin(lba, nlb);
    setImmediate(() => {
      const err = this.opts.error?.(isRead, lba) ?? null;
      if (err === null) move();
      this.dev.end(lba, nlb);
      cb(err, 0, 0);
    });
  }
}

function config(overrides: Partial<NsContextConfig> & { slots?: number; rwMixRead?: number; verify?: boolean } = {}): NsContextConfig {
  const { slots = 256, rwMixRead = 100, verify = false, ...rest } = overrides;
  return {
    name: 'FAKE (addr:mem subnqn:test) NSID 1',
    lcore: 3,
    nsid: 1,
    ioDepth: 8,
    ioSizeBytes: IO_BLOCKS * BLOCK,
    blockSize: BLOCK,
    workload: { random: true, rwMixRead, ioSizeBlocks: IO_BLOCKS, slotCount: slots, seed: 42, verify, maxInFlight: rest.ioDepth ?? 8 },
    numberIos: 0,
    writeFlags: 0,
    verifyRunTag: verify ? 0x1234 : null,
    continueOnError: false,
    errorLogInterval: 1,
    ...rest,
  };
}

const POLL_OFF: WorkerPolling = { enabled: false, maxCompletions: 0 };

function runWorker(setups: ContextSetup[], opts: { timeSec?: number; warmupSec?: number; polling?: WorkerPolling; progress?: Float64Array } = {}) {
  const logs: string[] = [];
  const fatals: string[] = [];
  const progress = opts.progress ?? new Float64Array(PROGRESS_CELLS);
  const run = new PerfWorkerRun(
    setups,
    { warmupSec: opts.warmupSec ?? 0, timeSec: opts.timeSec ?? 60 },
    opts.polling ?? POLL_OFF,
    { log: (l) => logs.push(l), fatal: (m) => fatals.push(m) },
    { counts: progress, base: 0, monitorBusy: opts.polling?.enabled ?? false },
  );
  return { run, logs, fatals, progress, result: run.run() };
}

const lbaOutOfRange = (): NvmeStatusError =>
  new NvmeStatusError({ sct: StatusCodeType.GENERIC, sc: GenericStatus.LBA_OUT_OF_RANGE, crd: 0, more: false, dnr: true }, 'READ sqid:1 cid:0 nsid:1 lba:8 len:8');

describe('closed loop', () => {
  it('keeps -q I/Os in flight, round-robin over the -P queue pairs, and -d ends it at exactly that many', async () => {
    const dev = new FakeDevice(4096);
    const qps = [new FakeQpair(dev), new FakeQpair(dev)];
    const { result, fatals } = runWorker([{ config: config({ ioDepth: 8, numberIos: 1000 }), qpairs: qps }]);
    const r = await result;
    expect(r.failure).toBeNull();
    expect(fatals).toEqual([]);
    expect(r.reports[0]!.stats.ios).toBe(1000);
    expect(qps.map((q) => q.submitted)).toEqual([500, 500]);
    expect(dev.maxOutstanding).toBe(8);
    expect(dev.outstanding).toBe(0);
    expect(r.elapsedUs).toBeGreaterThan(0);
  });

  it('ends when every context of the worker reached its -d count, each with its own count', async () => {
    const dev = new FakeDevice(4096);
    const { result } = runWorker([
      { config: config({ numberIos: 300 }), qpairs: [new FakeQpair(dev)] },
      { config: config({ name: 'second', numberIos: 700, ioDepth: 4 }), qpairs: [new FakeQpair(dev)] },
    ]);
    const r = await result;
    expect(r.reports.map((c) => [c.name, c.stats.ios])).toEqual([
      ['FAKE (addr:mem subnqn:test) NSID 1', 300],
      ['second', 700],
    ]);
  });

  it('records every completion with its bytes and a latency, and stays within the namespace, aligned to the I/O size', async () => {
    const dev = new FakeDevice(64 * IO_BLOCKS);
    const lbas: number[] = [];
    const qp = new FakeQpair(dev, { error: (_r, lba) => (lbas.push(lba), null) });
    const r = await runWorker([{ config: config({ slots: 64, numberIos: 500 }), qpairs: [qp] }]).result;
    const stats = LatencyStats.fromSnapshot(r.reports[0]!.stats);
    expect(stats.bytes).toBe(500 * IO_BLOCKS * BLOCK);
    expect(stats.minNs).toBeGreaterThan(0);
    expect(stats.maxNs).toBeGreaterThanOrEqual(stats.minNs);
    expect(lbas.every((lba) => lba % IO_BLOCKS === 0 && lba >= 0 && lba < 64 * IO_BLOCKS)).toBe(true);
  });

  it('ends the run on an I/O error without -Q: logged as SPDK logs it, reported once with the namespace and the status', async () => {
    const dev = new FakeDevice(4096);
    const qp = new FakeQpair(dev, { error: (_r, lba) => (lba === 8 * 5 || lba === 8 * 9 ? lbaOutOfRange() : null) });
    const { result, logs, fatals } = runWorker([{ config: config({ slots: 16 }), qpairs: [qp] }]);
    const r = await result;
    expect(fatals).toHaveLength(1);
    expect(r.failure).toBe(fatals[0]);
    expect(r.failure).toContain('FAKE (addr:mem subnqn:test) NSID 1 from core 3');
    expect(r.failure).toContain('LBA OUT OF RANGE');
    expect(r.failure).toContain('-Q');
    expect(logs[0]).toBe('Read completed with error (sct=0, sc=128)');
    expect(r.reports[0]!.stats.errors).toBeGreaterThanOrEqual(1);
    expect(dev.outstanding).toBe(0);
  });

  it('with -Q counts errors, logs one in N and runs to the end', async () => {
    const dev = new FakeDevice(4096);
    const qp = new FakeQpair(dev, { error: (_r, lba) => ((lba / 8) % 2 === 1 ? lbaOutOfRange() : null) });
    const { result, logs } = runWorker([{ config: config({ continueOnError: true, errorLogInterval: 4, numberIos: 800 }), qpairs: [qp] }]);
    const r = await result;
    const errors = r.reports[0]!.stats.errors;
    expect(r.failure).toBeNull();
    expect(r.reports[0]!.stats.ios).toBe(800);
    expect(errors).toBeGreaterThan(100);
    expect(logs).toHaveLength(Math.ceil(errors / 4));
    expect(logs[1]).toBe('Message suppressed 3 times: Read completed with error (sct=0, sc=128)');
  });

  it('a queue pair that fails ends the run even with -Q, reported once', async () => {
    const dev = new FakeDevice(4096);
    const dead = new TransportError('NVMe/TCP qid 1 to 127.0.0.1:4420: connection closed by the controller', 'ECONNRESET');
    const qp = new FakeQpair(dev, { error: () => dead });
    const { result, logs, fatals } = runWorker([{ config: config({ continueOnError: true }), qpairs: [qp] }]);
    const r = await result;
    expect(fatals).toHaveLength(1);
    expect(r.failure).toContain('queue pair to FAKE (addr:mem subnqn:test) NSID 1 from core 3 failed: NVMe/TCP qid 1');
    expect(logs).toEqual([]);
  });
});

describe('--verify', () => {
  it('checks reads of written blocks on a correct device, never overlapping in-flight I/O across queue pairs', async () => {
    const dev = new FakeDevice(32 * IO_BLOCKS);
    const qps = [new FakeQpair(dev), new FakeQpair(dev), new FakeQpair(dev), new FakeQpair(dev)];
    const r = await runWorker([{ config: config({ slots: 32, rwMixRead: 50, verify: true, ioDepth: 16, numberIos: 4000 }), qpairs: qps }]).result;
    const report = r.reports[0]!;
    expect(r.failure).toBeNull();
    expect(report.mismatchCount).toBe(0);
    expect(report.readsChecked).toBeGreaterThan(1000);
    expect(dev.overlaps).toBe(0);
  });

  it('fails loudly on a corrupted block, naming its LBA', async () => {
    const dev = new FakeDevice(32 * IO_BLOCKS);
    const bad = (lba: number): boolean => lba >= 100 && lba < 104;
    const qp = new FakeQpair(dev, { corrupt: bad });
    const { result, logs } = runWorker([{ config: config({ slots: 32, rwMixRead: 50, verify: true }), qpairs: [qp] }]);
    const r = await result;
    const m = r.reports[0]!.mismatches[0]!;
    expect(bad(m.lba)).toBe(true);
    expect(r.failure).toContain(`verify: LBA ${m.lba}: data differs at byte 100`);
    expect(r.failure).toContain('FAKE (addr:mem subnqn:test) NSID 1 from core 3');
    expect(logs[0]).toBe(r.failure);
  });

  it('with -Q counts mismatches and keeps going', async () => {
    const dev = new FakeDevice(32 * IO_BLOCKS);
    const qp = new FakeQpair(dev, { corrupt: (lba) => lba < 64 });
    const r = await runWorker([{ config: config({ slots: 32, rwMixRead: 50, verify: true, continueOnError: true, numberIos: 3000 }), qpairs: [qp] }])
      .result;
    const report = r.reports[0]!;
    expect(r.failure).toBeNull();
    expect(report.stats.ios).toBe(3000);
    expect(report.mismatchCount).toBeGreaterThan(16);
    expect(report.mismatches).toHaveLength(16);
  });
});

describe('worker run', () => {
  it('stop() ends a timed run early and drains it', async () => {
    const dev = new FakeDevice(4096);
    const { run, result, progress } = runWorker([{ config: config(), qpairs: [new FakeQpair(dev)] }], { timeSec: 3600 });
    await new Promise((resolve) => setTimeout(resolve, 50));
    run.stop();
    const r = await result;
    expect(r.failure).toBeNull();
    expect(dev.outstanding).toBe(0);
    expect(r.reports[0]!.stats.ios).toBe(progress[0]);
    expect(r.reports[0]!.stats.ios).toBeGreaterThan(0);
  });

  it('warm-up forgets what completed before it ended', async () => {
    const dev = new FakeDevice(4096);
    const { result, progress } = runWorker([{ config: config(), qpairs: [new FakeQpair(dev)] }], { warmupSec: 1, timeSec: 1 });
    const r = await result;
    expect(r.reports[0]!.stats.ios).toBeGreaterThan(0);
    expect(r.reports[0]!.stats.ios).toBeLessThan(progress[0]!);
  });

  it('polls every queue pair with -C per poll and accounts busy and idle time, unless interrupts were asked for', async () => {
    const dev = new FakeDevice(4096);
    const polled = [new FakeQpair(dev), new FakeQpair(dev)];
    const { result, progress } = runWorker([{ config: config({ numberIos: 2000 }), qpairs: polled }], { polling: { enabled: true, maxCompletions: 7 } });
    await result;
    for (const qp of polled) {
      expect(qp.polls.length).toBeGreaterThan(0);
      expect(new Set(qp.polls)).toEqual(new Set([7]));
    }
    expect(progress[1]! + progress[2]!).toBeGreaterThan(0);

    const waiting = new FakeQpair(dev);
    await runWorker([{ config: config({ numberIos: 500 }), qpairs: [waiting] }], { polling: POLL_OFF }).result;
    expect(waiting.polls).toEqual([]);
  });
});

describe('workerPolling', () => {
  it('polls while few I/Os are in flight on the worker, waits above that, and never with -E', () => {
    expect(workerPolling(1, true, 0)).toEqual({ enabled: true, maxCompletions: 0 });
    expect(workerPolling(POLL_MAX_IN_FLIGHT, true, 8)).toEqual({ enabled: true, maxCompletions: 8 });
    expect(workerPolling(POLL_MAX_IN_FLIGHT + 1, true, 8).enabled).toBe(false);
    expect(workerPolling(1, false, 0).enabled).toBe(false);
  });

  it('always polls a worker whose queue pairs complete only when polled (PCIe), whatever the depth or -E', () => {
    expect(workerPolling(POLL_MAX_IN_FLIGHT + 1, true, 0, true).enabled).toBe(true);
    expect(workerPolling(1, false, 0, true).enabled).toBe(true);
  });
});
