/**
 * Queue accounting of an NVMe/RDMA queue pair: a command completes only once
 * both its SEND completion and its response are in, in either order; send
 * credits bound what is posted; CIDs map to slots by their low bits.
 */
import { describe, expect, it } from 'vitest';
import { RdmaCommandSlots, RESPONDED_COMPLETE } from '../../../src/transport/rdma/command-slots.js';

function cqe(cid: number, status = 0): Buffer {
  const b = Buffer.alloc(16);
  b.writeUInt16LE(cid, 12);
  b.writeUInt16LE(status << 1, 14);
  return b;
}

describe('RdmaCommandSlots', () => {
  it('completes on the response when the SEND completed first', () => {
    const s = new RdmaCommandSlots(4, 4);
    const slot = s.open(2, null, false);
    expect(s.sent(slot)).toBe(false);
    expect(s.responded(2, cqe(2, 0x81), 0)).toBe(slot | RESPONDED_COMPLETE);
    expect(s.cqes.readUInt16LE(s.cqeOffset(slot) + 14)).toBe(0x81 << 1);
  });

  it('waits for the SEND completion when the response overtook it, keeping the CQE', () => {
    const s = new RdmaCommandSlots(4, 4);
    const slot = s.open(1, null, true);
    expect(s.responded(1, cqe(1, 7), 0)).toBe(slot);
    expect(s.sent(slot)).toBe(true);
    expect(s.cqes.readUInt16LE(s.cqeOffset(slot) + 12)).toBe(1);
  });

  it('refuses a response for a CID that is not outstanding, or a second one', () => {
    const s = new RdmaCommandSlots(4, 4);
    expect(s.responded(3, cqe(3), 0)).toBe(-1);
    s.open(3, null, false);
    expect(s.responded(7, cqe(7), 0)).toBe(-1); // same slot, other CID
    expect(s.responded(3, cqe(3), 0)).toBe(3);
    expect(s.responded(3, cqe(3), 0)).toBe(-1);
  });

  it('spends one send credit per command until its SEND completes', () => {
    const s = new RdmaCommandSlots(4, 2);
    const a = s.open(0, null, false);
    s.open(1, null, false);
    expect(s.canSend).toBe(false);
    expect(() => s.open(2, null, false)).toThrow(/send queue is full/);
    s.sent(a);
    expect(s.canSend).toBe(true);
    expect(() => s.sent(a)).toThrow(/no SEND outstanding/);
  });

  it('keeps a slot until close, then lets its CID be reused', () => {
    const s = new RdmaCommandSlots(3, 4);
    expect(s.size).toBe(4);
    const data = Buffer.alloc(8);
    const slot = s.open(5, data, true);
    expect(slot).toBe(1);
    expect(s.data[slot]).toBe(data);
    expect(s.toHost[slot]).toBe(1);
    expect(() => s.open(1, null, false)).toThrow(/still held by outstanding cid 5/);
    s.sent(slot);
    s.responded(5, cqe(5), 0);
    expect(s.outstanding).toBe(1);
    s.close(slot);
    expect(s.outstanding).toBe(0);
    expect(s.data[slot]).toBeNull();
    expect(s.open(1, null, false)).toBe(1);
  });
});
