/**
 * The NVMe/RDMA target's send-queue and RDMA READ accounting, its FIFO of
 * waiting commands, and the registered data buffer pool's budget and waiters.
 */
import { describe, expect, it } from 'vitest';
import { IndexQueue, WorkRequestCredits } from '../../../src/target/transport/rdma/flow-control.js';
import { RdmaBufferPool, type RegisteredRegion } from '../../../src/target/transport/rdma/buffer-pool.js';

describe('WorkRequestCredits', () => {
  it('gives a READ only with both a READ slot and a send-queue entry', () => {
    const c = new WorkRequestCredits(3, 2);
    expect(c.takeRead()).toBe(true);
    expect(c.takeRead()).toBe(true);
    expect(c.takeRead()).toBe(false); // read depth spent
    expect(c.sendAvailable).toBe(1);
    expect(c.takeSend(2)).toBe(false); // a read's response with its RDMA WRITE needs two entries
    expect(c.takeSend(1)).toBe(true);
    c.returnRead();
    expect([c.readAvailable, c.sendAvailable]).toEqual([1, 1]);
    expect(c.takeRead()).toBe(true);
    expect(c.takeRead()).toBe(false); // send queue full even though a READ slot is free
  });

  it('never lets a QP of 2 x qsize send entries overflow with qsize commands each holding at most two', () => {
    const qsize = 4;
    const c = new WorkRequestCredits(2 * qsize, 2);
    for (let i = 0; i < qsize; i++) expect(c.takeSend(2)).toBe(true);
    expect(c.sendAvailable).toBe(0);
    expect(c.takeSend(1)).toBe(false);
    for (let i = 0; i < qsize; i++) c.returnSend(2);
    expect(c.sendAvailable).toBe(2 * qsize);
  });

  it('refuses to return credits never taken (an accounting bug shows at once)', () => {
    const c = new WorkRequestCredits(2, 1);
    expect(() => c.returnSend(1)).toThrow(RangeError);
    expect(() => c.returnRead()).toThrow(/none outstanding/);
  });
});

describe('IndexQueue', () => {
  it('is a FIFO that wraps around its ring', () => {
    const q = new IndexQueue(3);
    const out: number[] = [];
    for (let round = 0; round < 4; round++) {
      q.push(round * 10);
      q.push(round * 10 + 1);
      out.push(q.shift(), q.shift());
    }
    expect(out).toEqual([0, 1, 10, 11, 20, 21, 30, 31]);
    expect(q.shift()).toBe(-1);
    expect(q.peek()).toBe(-1);
  });

  it('throws when pushed past its capacity', () => {
    const q = new IndexQueue(2);
    q.push(1);
    q.push(2);
    expect(() => q.push(3)).toThrow(/full/);
    expect(q.length).toBe(2);
  });
});

/** Plain memory standing in for registered memory: addresses count up, each region its own key. */
function fakeRegistry(): { register: (n: number) => RegisteredRegion; regions: number[]; released: number } {
  let next = 0x10000;
  const state = {
    regions: [] as number[],
    released: 0,
    register: (n: number): RegisteredRegion => {
      state.regions.push(n);
      const address = BigInt(next);
      next += n;
      return { address, buffer: Buffer.alloc(n), lkey: state.regions.length, release: () => void state.released++ };
    },
  };
  return state;
}

describe('RdmaBufferPool', () => {
  it('hands out small and large buffers with their addresses and keys, registered a chunk at a time', () => {
    const reg = fakeRegistry();
    const pool = new RdmaBufferPool(8192, 131072, 4 << 20, reg.register);
    const small = pool.acquire(4096)!;
    const large = pool.acquire(65536)!;
    expect(small.bytes.length).toBe(8192);
    expect(large.bytes.length).toBe(131072);
    expect(reg.regions).toEqual([1 << 20, 1 << 20]);
    expect(small.lkey).toBe(1);
    expect(large.lkey).toBe(2);
    expect(large.address).toBeGreaterThanOrEqual(0x10000 + (1 << 20));
    expect(large.viewOf(4096).length).toBe(4096);
    expect(large.viewOf(4096)).toBe(large.viewOf(4096));
    const again = pool.acquire(100)!;
    expect(again.address).not.toBe(small.address);
    expect(reg.regions.length).toBe(2);
  });

  it('stops at its byte budget and wakes a waiter when a buffer comes back', async () => {
    const reg = fakeRegistry();
    const pool = new RdmaBufferPool(8192, 131072, 2 * 131072, reg.register);
    const a = pool.acquire(131072)!;
    const b = pool.acquire(131072)!;
    expect(pool.acquire(131072)).toBeNull();
    expect(pool.registered).toBe(2 * 131072);
    let woken = 0;
    pool.whenAvailable(() => woken++);
    pool.release(a);
    expect(woken).toBe(0); // on a later turn, not inside the caller's completion handling
    await new Promise((r) => setImmediate(r));
    expect(woken).toBe(1);
    expect(pool.acquire(131072)).toBe(a);
    pool.release(b);
    await new Promise((r) => setImmediate(r));
    expect(woken).toBe(1); // once per whenAvailable
    pool.close();
    expect(reg.released).toBe(reg.regions.length);
  });

  it('forgets a cancelled waiter', async () => {
    const pool = new RdmaBufferPool(8192, 131072, 131072, fakeRegistry().register);
    const a = pool.acquire(131072)!;
    let woken = false;
    const resume = (): void => void (woken = true);
    pool.whenAvailable(resume);
    pool.cancel(resume);
    pool.release(a);
    await new Promise((r) => setImmediate(r));
    expect(woken).toBe(false);
  });
});
