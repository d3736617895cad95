import { describe, expect, it } from 'vitest';
import { InFlightSet } from '../../../src/bench/inflight-set.js';
import { Xoshiro128 } from '../../../src/bench/prng.js';
import { IoDescriptor, VERIFY_MAX_SLOTS, verifyRange, WorkloadGenerator, type WorkloadConfig } from '../../../src/bench/workload.js';
import { createZipf } from '../../../src/bench/zipf.js';

const BASE: WorkloadConfig = { random: true, rwMixRead: 100, ioSizeBlocks: 8, slotCount: 1000, seed: 1 };

/** Draws `n` I/Os and returns them as plain tuples. */
function draw(gen: WorkloadGenerator, n: number): { isRead: boolean; lba: number; nlb: number; slot: number }[] {
  const d = new IoDescriptor();
  const out = [];
  let refused = 0;
  for (let i = 0; i < n; i++) {
    if (!gen.next(d)) refused++;
    out.push({ isRead: d.isRead, lba: d.lba, nlb: d.nlb, slot: d.slot });
  }
  expect(refused).toBe(0);
  return out;
}

describe('WorkloadGenerator offsets', () => {
  it('aligns every I/O to its size and keeps it inside the range', () => {
    const gen = new WorkloadGenerator({ ...BASE, firstSlot: 500, slotCount: 300 });
    const ios = draw(gen, 20_000);
    const bad = ios.filter(
      (io) => io.nlb !== 8 || io.lba % 8 !== 0 || io.lba < 500 * 8 || io.lba + io.nlb > 800 * 8 || io.lba !== (500 + io.slot) * 8,
    );
    expect(bad).toEqual([]);
    expect(new Set(ios.map((io) => io.slot)).size).toBe(300);
  });

  it('walks sequentially and wraps, as SPDK perf does', () => {
    const gen = new WorkloadGenerator({ ...BASE, random: false, slotCount: 5, ioSizeBlocks: 1 });
    expect(draw(gen, 12).map((io) => io.lba)).toEqual([0, 1, 2, 3, 4, 0, 1, 2, 3, 4, 0, 1]);
  });

  it('spreads random offsets uniformly (chi-square, seeded)', () => {
    const slots = 200;
    const gen = new WorkloadGenerator({ ...BASE, slotCount: slots, seed: 2024 });
    const counts = new Float64Array(slots);
    for (const io of draw(gen, 200_000)) counts[io.slot]!++;
    const expected = 200_000 / slots;
    const chi = counts.reduce((s, c) => s + (c - expected) ** 2 / expected, 0);
    // Critical value for 199 degrees of freedom at p = 0.001 is about 267.
    expect(chi).toBeLessThan(267);
  });

  it('skews offsets toward the hot slots with zipf', () => {
    const slots = 1000;
    const gen = new WorkloadGenerator({ ...BASE, slotCount: slots, zipf: createZipf(slots, 0.99) });
    const counts = new Float64Array(slots);
    for (const io of draw(gen, 100_000)) counts[io.slot]!++;
    const hottest = counts.indexOf(Math.max(...counts));
    expect(hottest).toBe(0);
    const hotTenth = counts.slice(0, slots / 10).reduce((a, b) => a + b, 0) / 100_000;
    expect(hotTenth).toBeGreaterThan(0.6);
  });

  it('refuses zipf constants built for another range', () => {
    expect(() => new WorkloadGenerator({ ...BASE, zipf: createZipf(999, 0.9) })).toThrow(RangeError);
  });

  it('repeats exactly with the same seed, and differs with another', () => {
    const a = draw(new WorkloadGenerator({ ...BASE, rwMixRead: 50, seed: 7 }), 500);
    const b = draw(new WorkloadGenerator({ ...BASE, rwMixRead: 50, seed: 7 }), 500);
    const c = draw(new WorkloadGenerator({ ...BASE, rwMixRead: 50, seed: 8 }), 500);
    expect(b).toEqual(a);
    expect(c).not.toEqual(a);
  });
});

describe('WorkloadGenerator read/write mix', () => {
  it.each([70, 30, 1, 99])('reads %s percent of the time', (mix) => {
    const n = 100_000;
    const reads = draw(new WorkloadGenerator({ ...BASE, rwMixRead: mix, seed: mix }), n).filter((io) => io.isRead).length;
    const p = mix / 100;
    // Five standard errors of a binomial proportion.
    expect(Math.abs(reads / n - p)).toBeLessThan(5 * Math.sqrt((p * (1 - p)) / n));
  });

  it('only reads at 100 and only writes at 0', () => {
    expect(draw(new WorkloadGenerator({ ...BASE, rwMixRead: 100 }), 1000).every((io) => io.isRead)).toBe(true);
    expect(draw(new WorkloadGenerator({ ...BASE, rwMixRead: 0 }), 1000).every((io) => !io.isRead)).toBe(true);
  });
});

describe('WorkloadGenerator with verify', () => {
  /** Runs a closed loop of `qd` tasks completing in random order and checks no slot is ever doubly in flight. */
  function closedLoop(cfg: WorkloadConfig, qd: number, steps: number): number {
    const gen = new WorkloadGenerator({ ...cfg, verify: true, maxInFlight: qd });
    const order = new Xoshiro128(99);
    const tasks = Array.from({ length: qd }, () => new IoDescriptor());
    const busy = new Set<number>();
    let issued = 0;
    let conflicts = 0;
    const issue = (d: IoDescriptor): void => {
      if (!gen.next(d) || busy.has(d.slot)) conflicts++;
      busy.add(d.slot);
      issued++;
    };
    tasks.forEach(issue);
    for (let i = 0; i < steps; i++) {
      const d = tasks[order.nextBelow(qd)]!;
      busy.delete(d.slot);
      gen.complete(d, true);
      issue(d);
    }
    expect(conflicts).toBe(0);
    expect(gen.inFlightCount).toBe(qd);
    return issued;
  }

  it('never issues a slot that is in flight (random, sequential, zipf)', () => {
    expect(closedLoop({ ...BASE, rwMixRead: 50, slotCount: 40 }, 32, 20_000)).toBe(20_032);
    expect(closedLoop({ ...BASE, random: false, rwMixRead: 50, slotCount: 40 }, 32, 5_000)).toBe(5_032);
    expect(closedLoop({ ...BASE, rwMixRead: 50, slotCount: 100, zipf: createZipf(100, 1.2) }, 16, 10_000)).toBe(10_016);
  });

  it('reports no slot when every slot is in flight, and the freed one after a completion', () => {
    const gen = new WorkloadGenerator({ ...BASE, slotCount: 4, verify: true, maxInFlight: 8 });
    const ds = Array.from({ length: 5 }, () => new IoDescriptor());
    for (let i = 0; i < 4; i++) expect(gen.next(ds[i]!)).toBe(true);
    expect(new Set(ds.slice(0, 4).map((d) => d.slot)).size).toBe(4);
    expect(gen.next(ds[4]!)).toBe(false);
    gen.complete(ds[2]!, true);
    expect(gen.next(ds[4]!)).toBe(true);
    expect(ds[4]!.slot).toBe(ds[2]!.slot);
  });

  it('stamps writes with increasing generations and tells reads which one to expect', () => {
    // One slot, so every I/O hits it; alternate writes and reads by hand with two generators' mixes.
    const writer = new WorkloadGenerator({ ...BASE, slotCount: 1, rwMixRead: 0, verify: true, maxInFlight: 1 });
    const d = new IoDescriptor();
    writer.next(d);
    expect(d).toMatchObject({ isRead: false, generation: 1 });
    writer.complete(d, true);
    writer.next(d);
    expect(d.generation).toBe(2);
    writer.complete(d, false);

    const mixed = new WorkloadGenerator({ ...BASE, slotCount: 1, rwMixRead: 50, verify: true, maxInFlight: 1, seed: 5 });
    let lastGoodWrite = 0;
    for (let i = 0; i < 200; i++) {
      mixed.next(d);
      if (d.isRead) {
        expect(d.generation).toBe(lastGoodWrite);
        mixed.complete(d, true);
      } else {
        const ok = i % 7 !== 3;
        expect(d.generation).toBeGreaterThan(0);
        mixed.complete(d, ok);
        lastGoodWrite = ok ? d.generation : 0;
      }
    }
  });

  it('needs the queue depth and a range it can track', () => {
    expect(() => new WorkloadGenerator({ ...BASE, verify: true })).toThrow(RangeError);
    expect(() => new WorkloadGenerator({ ...BASE, slotCount: VERIFY_MAX_SLOTS + 1, verify: true, maxInFlight: 4 })).toThrow(RangeError);
  });
});

describe('verifyRange', () => {
  it('splits a namespace into disjoint ranges that cover it', () => {
    for (const [size, parts] of [
      [65536, 2],
      [1001, 3],
      [7, 7],
    ] as const) {
      const ranges = Array.from({ length: parts }, (_, i) => verifyRange(size, parts, i));
      let next = 0;
      for (const r of ranges) {
        expect(r.firstSlot).toBe(next);
        expect(r.slotCount).toBeGreaterThan(0);
        next += r.slotCount;
      }
      expect(next).toBe(size);
      const counts = ranges.map((r) => r.slotCount);
      expect(Math.max(...counts) - Math.min(...counts)).toBeLessThanOrEqual(1);
    }
  });

  it('caps the tracked part of a large namespace', () => {
    const r = verifyRange(2 ** 30, 2, 1);
    expect(r.firstSlot + r.slotCount).toBe(VERIFY_MAX_SLOTS);
    expect(() => verifyRange(3, 4, 0)).toThrow(RangeError);
  });
});

describe('InFlightSet', () => {
  it('agrees with a Set through random adds and deletes (backward-shift deletion)', () => {
    const capacity = 64;
    const set = new InFlightSet(capacity);
    const ref = new Set<number>();
    const r = new Xoshiro128(3);
    let disagreements = 0;
    for (let i = 0; i < 50_000; i++) {
      // Few distinct keys, some above 2^32, so probe runs collide and wrap.
      const key = r.nextBelow(150) * (r.nextBelow(2) === 0 ? 1 : 2 ** 33 + 1);
      if (ref.has(key)) {
        set.delete(key);
        ref.delete(key);
      } else if (ref.size < capacity) {
        set.add(key);
        ref.add(key);
      }
      if (i % 97 === 0) {
        for (let k = 0; k < 150; k++) {
          if (set.has(k) !== ref.has(k)) disagreements++;
          if (set.has(k * (2 ** 33 + 1)) !== ref.has(k * (2 ** 33 + 1))) disagreements++;
        }
      }
      if (set.size !== ref.size) disagreements++;
    }
    expect(disagreements).toBe(0);
  });

  it('refuses to grow past its capacity and ignores deleting a missing slot', () => {
    const set = new InFlightSet(2);
    set.add(1);
    set.add(2);
    expect(() => set.add(3)).toThrow(RangeError);
    set.delete(99);
    expect(set.size).toBe(2);
  });
});
