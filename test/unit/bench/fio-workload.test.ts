import { describe, expect, it } from 'vitest';
import { DDIR_READ, DDIR_TRIM, DDIR_WRITE, FioIo, FioWorkload, type FioWorkloadConfig } from '../../../src/bench/fio-workload.js';
import { paretoSkew } from '../../../src/bench/slot-picker.js';

/** 4 KiB units of 512-byte blocks over a 1000-unit region starting at LBA 800. */
const BASE: FioWorkloadConfig = {
  seed: 1,
  firstLba: 800,
  unitCount: 1000,
  unitBlocks: 8,
  order: 'random',
  skew: null,
  rwMixRead: 100,
  trim: false,
  sizes: [
    { units: [1], cumPercent: [100] },
    { units: [1], cumPercent: [100] },
    { units: [], cumPercent: [] },
  ],
  alignUnits: [0, 0, 0],
  verify: false,
  maxInFlight: 16,
  verifyBacklog: 0,
};

function draw(w: FioWorkload, n: number): FioIo[] {
  return Array.from({ length: n }, () => {
    const io = new FioIo();
    expect(w.next(io)).toBe(true);
    return io;
  });
}

describe('FioWorkload', () => {
  it('keeps every I/O inside the region, in whole units', () => {
    const sizes: FioWorkloadConfig['sizes'] = [{ units: [1, 2, 16], cumPercent: [50, 80, 100] }, BASE.sizes[1], BASE.sizes[2]];
    const ios = draw(new FioWorkload({ ...BASE, sizes }), 20_000);
    const bad = ios.filter((io) => io.lba < 800 || io.lba + io.nlb > 800 + 8000 || (io.lba - 800) % 8 !== 0 || io.nlb !== io.units * 8);
    expect(bad).toEqual([]);
    expect(Math.max(...ios.map((io) => io.unit + io.units))).toBe(1000);
  });

  it('draws bssplit sizes in their shares (per direction)', () => {
    const sizes: FioWorkloadConfig['sizes'] = [
      { units: [1, 2, 16], cumPercent: [50, 80, 100] },
      { units: [4], cumPercent: [100] },
      { units: [], cumPercent: [] },
    ];
    const ios = draw(new FioWorkload({ ...BASE, sizes, rwMixRead: 70, seed: 9 }), 50_000);
    const reads = ios.filter((io) => io.ddir === DDIR_READ);
    const share = (u: number): number => reads.filter((io) => io.units === u).length / reads.length;
    expect(share(1)).toBeCloseTo(0.5, 1);
    expect(share(2)).toBeCloseTo(0.3, 1);
    expect(share(16)).toBeCloseTo(0.2, 1);
    expect(reads.length / ios.length).toBeCloseTo(0.7, 1);
    expect(ios.filter((io) => io.ddir === DDIR_WRITE).every((io) => io.units === 4)).toBe(true);
  });

  it('aligns to blockalign, or to each I/O\'s own size when it is 0', () => {
    const sizes: FioWorkloadConfig['sizes'] = [{ units: [2, 4], cumPercent: [50, 100] }, BASE.sizes[1], BASE.sizes[2]];
    const own = draw(new FioWorkload({ ...BASE, sizes }), 5000);
    expect(own.filter((io) => io.unit % io.units !== 0)).toEqual([]);
    const ba = draw(new FioWorkload({ ...BASE, sizes, alignUnits: [1, 0, 0] }), 5000);
    expect(ba.some((io) => io.unit % io.units !== 0)).toBe(true);
  });

  it('with the random map covers every unit once before repeating', () => {
    const w = new FioWorkload({ ...BASE, order: 'random-map' });
    const units = draw(w, 1000).map((io) => io.unit);
    expect(new Set(units).size).toBe(1000);
  });

  it('walks sequentially by each I/O\'s size and wraps at the end', () => {
    const sizes: FioWorkloadConfig['sizes'] = [{ units: [300], cumPercent: [100] }, BASE.sizes[1], BASE.sizes[2]];
    const ios = draw(new FioWorkload({ ...BASE, order: 'sequential', sizes }), 5);
    expect(ios.map((io) => io.unit)).toEqual([0, 300, 600, 0, 300]);
  });

  it('repeats the same I/O for the same seed (randrepeat)', () => {
    const a = draw(new FioWorkload({ ...BASE, rwMixRead: 50 }), 200).map((io) => [io.ddir, io.lba]);
    const b = draw(new FioWorkload({ ...BASE, rwMixRead: 50 }), 200).map((io) => [io.ddir, io.lba]);
    expect(b).toEqual(a);
  });

  it('skews with pareto toward the start of the region', () => {
    const ios = draw(new FioWorkload({ ...BASE, skew: paretoSkew(0.2), seed: 4 }), 20_000);
    expect(ios.filter((io) => io.unit < 200).length / ios.length).toBeGreaterThan(0.75);
  });

  it('trims only, with the trim sizes', () => {
    const sizes: FioWorkloadConfig['sizes'] = [BASE.sizes[0], BASE.sizes[1], { units: [2], cumPercent: [100] }];
    const ios = draw(new FioWorkload({ ...BASE, trim: true, sizes }), 100);
    expect(ios.every((io) => io.ddir === DDIR_TRIM && io.units === 2)).toBe(true);
  });

  it('with verify never hands out an I/O overlapping one in flight, and waits when none is free', () => {
    const sizes: FioWorkloadConfig['sizes'] = [
      { units: [1, 3], cumPercent: [50, 100] },
      { units: [2, 5], cumPercent: [50, 100] },
      { units: [], cumPercent: [] },
    ];
    const w = new FioWorkload({ ...BASE, unitCount: 64, sizes, rwMixRead: 50, verify: true, maxInFlight: 12, alignUnits: [1, 1, 0] });
    const inFlight: FioIo[] = [];
    let refused = 0;
    for (let i = 0; i < 20_000; i++) {
      if (inFlight.length === 12 || (inFlight.length > 0 && i % 3 === 0)) {
        const done = inFlight.splice(i % inFlight.length, 1)[0]!;
        w.complete(done, true);
      }
      const io = new FioIo();
      if (!w.next(io)) {
        refused++;
        continue;
      }
      for (const other of inFlight) expect(io.unit + io.units <= other.unit || other.unit + other.units <= io.unit).toBe(true);
      inFlight.push(io);
    }
    expect(refused).toBeLessThan(20_000);
  });

  it('with verify tracks generations: a completed write is known, a failed one is not', () => {
    const w = new FioWorkload({ ...BASE, unitCount: 4, rwMixRead: 0, verify: true, order: 'sequential' });
    const [a, b] = draw(w, 2);
    expect(w.isKnown(a!.unit)).toBe(false);
    w.complete(a!, true);
    w.complete(b!, false);
    expect(w.isKnown(a!.unit)).toBe(true);
    expect(w.generation(a!.unit)).toBe(1);
    expect(w.isKnown(b!.unit)).toBe(false);
  });

  it('reads back written runs in a verify pass, at most the largest I/O each', () => {
    const sizes: FioWorkloadConfig['sizes'] = [{ units: [], cumPercent: [] }, { units: [2], cumPercent: [100] }, BASE.sizes[2]];
    const w = new FioWorkload({ ...BASE, unitCount: 10, sizes, rwMixRead: 0, verify: true, order: 'sequential' });
    for (const io of draw(w, 4)) w.complete(io, true);
    w.startVerifyPass();
    const reads: [number, number][] = [];
    const io = new FioIo();
    while (w.nextVerifyRead(io)) {
      reads.push([io.unit, io.units]);
      expect(io.verifyRead).toBe(true);
      w.complete(io, true);
    }
    expect(reads).toEqual([
      [0, 2],
      [2, 2],
      [4, 2],
      [6, 2],
    ]);
  });

  it('keeps a backlog of completed writes for verify_backlog', () => {
    const w = new FioWorkload({ ...BASE, unitCount: 100, rwMixRead: 0, verify: true, order: 'sequential', verifyBacklog: 3 });
    for (const io of draw(w, 3)) w.complete(io, true);
    expect(w.backlogPending).toBe(3);
    const io = new FioIo();
    const units: number[] = [];
    while (w.nextBacklogRead(io)) units.push(io.unit);
    expect(units).toEqual([0, 1, 2]);
    expect(w.backlogPending).toBe(0);
  });
});
