import { describe, expect, it } from 'vitest';
import { TokenBucket } from '../../../src/bench/token-bucket.js';

describe('TokenBucket (rate / rate_iops)', () => {
  it('lets one I/O through at once, then paces at the rate', () => {
    const b = new TokenBucket(1000, 1, 0);
    expect(b.wait(1, 0)).toBe(0);
    b.consume(1);
    expect(b.wait(1, 0)).toBeCloseTo(1, 9);
    expect(b.wait(1, 0.5)).toBeCloseTo(0.5, 9);
    expect(b.wait(1, 1)).toBe(0);
  });

  it('over a second of a fake clock grants the rate, however late the checks come', () => {
    for (const step of [0.1, 1, 3.7, 25]) {
      const b = new TokenBucket(1000, 1, 0);
      let granted = 0;
      for (let t = 0; t <= 1000; t += step) {
        while (b.wait(1, t) === 0) {
          b.consume(1);
          granted++;
        }
      }
      expect(Math.abs(granted - 1000)).toBeLessThanOrEqual(2);
    }
  });

  it('makes up for a stall afterwards, as fio does, never granting ahead of the rate', () => {
    const b = new TokenBucket(1000, 1, 0);
    b.consume(1);
    let granted = 1;
    while (b.wait(1, 5000) === 0) {
      b.consume(1);
      granted++;
    }
    expect(granted).toBe(5001);
    expect(b.wait(1, 5000)).toBeCloseTo(1, 9);
  });

  it('counts bytes for rate=: a 128 KiB I/O waits for its bytes', () => {
    const b = new TokenBucket(1 << 20, 128 * 1024, 0);
    expect(b.wait(128 * 1024, 0)).toBe(0);
    b.consume(128 * 1024);
    expect(b.wait(128 * 1024, 0)).toBeCloseTo(125, 6);
  });
});
