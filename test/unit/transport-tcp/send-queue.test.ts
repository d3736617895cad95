/**
 * PduSendQueue against a recording stand-in for the socket: one write (or one
 * corked burst) per flush, payloads passed by reference, arena bytes never
 * overwritten while the socket still holds them.
 */
import type { Socket } from 'node:net';
import { describe, expect, it } from 'vitest';
import { PduSendQueue } from '../../../src/transport/tcp/send-queue.js';

/** Records writes; callbacks run only when `complete()` says the kernel took the bytes. */
class RecordingSocket {
  readonly bursts: Buffer[][] = [];
  /** Copies of what was written, taken at write time. */
  readonly snapshots: Buffer[] = [];
  private current: Buffer[] | null = null;
  private readonly callbacks: Array<(() => void) | undefined> = [];

  cork(): void {
    this.current = [];
  }
  uncork(): void {
    this.bursts.push(this.current!);
    this.current = null;
  }
  write(chunk: Buffer, cb?: () => void): boolean {
    this.snapshots.push(Buffer.from(chunk));
    if (this.current) this.current.push(chunk);
    else this.bursts.push([chunk]);
    this.callbacks.push(cb);
    return true;
  }
  complete(): void {
    for (const cb of this.callbacks.splice(0)) cb?.();
  }
  asSocket(): Socket {
    return this as unknown as Socket;
  }
}

function put(q: PduSendQueue, text: string): void {
  const off = q.reserve(text.length);
  q.commit(q.buffer.write(text, off, 'latin1'));
}

describe('PduSendQueue', () => {
  it('flushes everything queued in a tick once, with the payload Buffer itself between arena bytes', async () => {
    const s = new RecordingSocket();
    const q = new PduSendQueue(s.asSocket());
    const payload = Buffer.alloc(100_000, 7);
    put(q, 'hdr1');
    put(q, 'hdr2');
    q.schedule();
    put(q, 'hdr3');
    q.appendBuffer(payload);
    put(q, 'dgst');
    q.schedule();
    expect(s.bursts).toEqual([]);
    await new Promise((resolve) => process.nextTick(resolve));
    expect(s.bursts.length).toBe(1);
    const burst = s.bursts[0]!;
    expect(burst.length).toBe(3);
    expect(burst[0]!.toString('latin1')).toBe('hdr1hdr2hdr3');
    expect(burst[1]).toBe(payload);
    expect(burst[2]!.toString('latin1')).toBe('dgst');
  });

  it('writes a single chunk without corking', () => {
    const s = new RecordingSocket();
    const q = new PduSendQueue(s.asSocket());
    put(q, 'only');
    q.flush();
    expect(s.bursts).toEqual([[Buffer.from('only')]]);
    q.flush();
    expect(s.bursts.length).toBe(1);
  });

  it('rewinds the arena once the socket released it, and never reuses bytes still being written', () => {
    const s = new RecordingSocket();
    const q = new PduSendQueue(s.asSocket());
    put(q, 'first');
    q.flush();
    const firstView = s.bursts[0]![0]!;
    put(q, 'second');
    q.flush();
    // Not released yet: the second PDU went after the first.
    expect(firstView.toString('latin1')).toBe('first');
    s.complete();
    put(q, 'third');
    q.flush();
    expect(q.reserve(1)).toBe('third'.length);
    expect(s.snapshots.map((b) => b.toString('latin1'))).toEqual(['first', 'second', 'third']);
  });

  it('moves to another arena when the current one is full and still held by the socket', () => {
    const s = new RecordingSocket();
    const q = new PduSendQueue(s.asSocket());
    const big = 'x'.repeat(PduSendQueue.MAX_RESERVE - 10);
    put(q, big);
    q.flush();
    const held = s.bursts[0]![0]!;
    put(q, 'y'.repeat(20));
    q.flush();
    expect(held.toString('latin1')).toBe(big);
    const arenaA = held.buffer;
    const arenaB = s.bursts[1]![0]!.buffer;
    expect(arenaB).not.toBe(arenaA);
    // Released: A becomes a spare, B (current) rewinds to its start.
    s.complete();
    put(q, big);
    q.flush();
    expect(s.bursts[2]![0]!.buffer).toBe(arenaB);
    expect(s.bursts[2]![0]!.byteOffset).toBe(s.bursts[1]![0]!.byteOffset);
    // B is held again and full: the spare A is taken instead of a new arena.
    put(q, 'w'.repeat(20));
    q.flush();
    expect(s.bursts[3]![0]!.buffer).toBe(arenaA);
    expect(s.snapshots.map((b) => b.length)).toEqual([big.length, 20, big.length, 20]);
  });

  it('drops what is queued after discard()', () => {
    const s = new RecordingSocket();
    const q = new PduSendQueue(s.asSocket());
    put(q, 'gone');
    q.discard();
    q.flush();
    put(q, 'also gone');
    q.flush();
    expect(s.bursts).toEqual([]);
  });
});
