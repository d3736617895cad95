import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ConfigError } from '../../../src/spec/errors.js';
import { DelayBlockDevice, type DelayBlockDeviceOptions } from '../../../src/target/bdev/delay.js';
import { MallocBlockDevice } from '../../../src/target/bdev/malloc.js';

beforeEach(() => {
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setImmediate', 'clearImmediate', 'performance'] });
});

afterEach(() => {
  vi.useRealTimers();
});

const LATENCIES = { avgReadLatencyUs: 2000, p99ReadLatencyUs: 9000, avgWriteLatencyUs: 5000, p99WriteLatencyUs: 20000 };

function delayed(opts: Partial<DelayBlockDeviceOptions> = {}): { dev: DelayBlockDevice; base: MallocBlockDevice } {
  const base = new MallocBlockDevice({ name: 'Malloc0', numBlocks: 64 });
  return { dev: new DelayBlockDevice({ base, name: 'Delay0', ...LATENCIES, random: () => 0.5, ...opts }), base };
}

describe('DelayBlockDevice', () => {
  it('completes a read after the average read latency and a write after the average write latency, never synchronously', () => {
    const { dev } = delayed();
    const order: string[] = [];
    dev.write(0, Buffer.alloc(512, 0xab), (err) => order.push(`write ${err}`));
    dev.read(0, 1, (err, data) => order.push(`read ${err} ${data![0]!.toString(16)}`));
    expect(order).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(order).toEqual([]);
    vi.advanceTimersByTime(1);
    // The read was submitted after the (synchronous) base write: it sees the written data.
    expect(order).toEqual(['read null ab']);
    expect(dev.waiting).toBe(1);
    vi.advanceTimersByTime(2);
    expect(order).toEqual(['read null ab']);
    vi.advanceTimersByTime(1);
    expect(order).toEqual(['read null ab', 'write null']);
    expect(dev.waiting).toBe(0);
  });

  it('applies the p99 latency to the I/Os the draw picks (one in a hundred)', () => {
    const draws = [0.005, 0.5];
    const { dev } = delayed({ random: () => draws.shift()! });
    const done: string[] = [];
    dev.read(0, 1, () => done.push('p99'));
    dev.read(0, 1, () => done.push('avg'));
    vi.advanceTimersByTime(2);
    expect(done).toEqual(['avg']);
    vi.advanceTimersByTime(6);
    expect(done).toEqual(['avg']);
    vi.advanceTimersByTime(1);
    expect(done).toEqual(['avg', 'p99']);
  });

  it('holds many I/Os on one timer and completes each kind in submission order', () => {
    const { dev } = delayed();
    const done: number[] = [];
    for (let i = 0; i < 100; i++) {
      if (i % 2 === 0) dev.read(i % 64, 1, () => done.push(i));
      else dev.write(i % 64, Buffer.alloc(512), () => done.push(i));
    }
    expect(vi.getTimerCount()).toBe(1);
    vi.advanceTimersByTime(2);
    expect(done).toEqual(Array.from({ length: 50 }, (_, k) => 2 * k));
    vi.advanceTimersByTime(3);
    expect(done.slice(50)).toEqual(Array.from({ length: 50 }, (_, k) => 2 * k + 1));
  });

  it('passes Flush, Write Zeroes and unmap through without delay', () => {
    const { dev } = delayed();
    const done: string[] = [];
    dev.flush(() => done.push('flush'));
    dev.writeZeroes(0, 1, () => done.push('zeroes'));
    dev.unmap([{ lba: 0, numBlocks: 1 }], () => done.push('unmap'));
    expect(done).toEqual(['flush', 'zeroes', 'unmap']);
  });

  it('polls deadlines under a millisecond away on the next turn of the event loop', () => {
    const { dev } = delayed({ avgReadLatencyUs: 300, p99ReadLatencyUs: 300 });
    let done = false;
    dev.read(0, 1, () => (done = true));
    expect(done).toBe(false);
    vi.advanceTimersByTime(1);
    expect(done).toBe(true);
  });

  it('takes a latency update for I/Os that complete at the base afterwards, and reports latencies as SPDK names them', () => {
    const { dev } = delayed();
    dev.updateLatency('avg_read_latency', 1000);
    expect(dev.latenciesUs()).toEqual({ avg_read_latency: 1000, p99_read_latency: 9000, avg_write_latency: 5000, p99_write_latency: 20000 });
    let done = false;
    dev.read(0, 1, () => (done = true));
    vi.advanceTimersByTime(1);
    expect(done).toBe(true);
  });

  it('close completes what still waits', () => {
    const { dev } = delayed();
    let done = false;
    dev.write(0, Buffer.alloc(512), () => (done = true));
    dev.close(() => undefined);
    expect(done).toBe(true);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('refuses a p99 below its average and negative latencies', () => {
    expect(() => delayed({ p99ReadLatencyUs: 1000 })).toThrow(/p99_read_latency: expected at least avg_read_latency/);
    expect(() => delayed({ p99WriteLatencyUs: 10 })).toThrow(ConfigError);
    expect(() => delayed({ avgWriteLatencyUs: -1 })).toThrow(/avg_write_latency/);
  });
});
