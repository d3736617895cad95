/** Data lands where the consumer says, across any chunk boundaries; otherwise as views of the chunks. */
import { describe, expect, it } from 'vitest';
import { pduFormat, PduReceiver, type PduHeader } from '../../../src/spec/tcp/index.js';
import { c2hData, capsuleCmd, capsuleResp, h2cData, icReq, icResp, pattern } from './build.js';
import { feed } from './helpers.js';

describe('zero-copy placement', () => {
  const fmt = pduFormat(true, true);
  const payload = pattern(10000, 5);
  /** One 10000-byte read returned as three C2HData PDUs, then the CapsuleResp. */
  const stream = Buffer.concat([
    icResp(true, true),
    c2hData(fmt, 5, 0, payload.subarray(0, 4000), false),
    c2hData(fmt, 5, 4000, payload.subarray(4000, 8000), false),
    c2hData(fmt, 5, 8000, payload.subarray(8000), true),
    capsuleResp(fmt, 5),
  ]);

  for (const [maxChunk, seed] of [
    [1, 1],
    [3, 2],
    [50, 3],
    [1000, 4],
    [5000, 5],
    [Infinity, 0],
  ] as const) {
    it(`a host copies C2HData straight into the read buffer at DATAO (chunks up to ${maxChunk})`, () => {
      const base = 16;
      const readBuffer = Buffer.alloc(base + 10000 + 16, 0xee);
      const delivered: (Buffer | null)[] = [];
      const rx: PduReceiver = new PduReceiver({
        role: 'host',
        maxDataLength: 65536,
        handler: {
          onDataPdu: (hdr, place) => place.receiveInto(readBuffer, base + hdr.datao),
          onPdu: (hdr: PduHeader, data) => {
            if (hdr.type === 0x01) rx.setDigests(true, true);
            else delivered.push(data);
          },
          onError: (e) => {
            throw e;
          },
        },
      });
      feed(rx, stream, maxChunk, seed);
      expect(delivered).toEqual([null, null, null, null]);
      expect(readBuffer.subarray(base, base + 10000).equals(payload)).toBe(true);
      expect(readBuffer.subarray(0, base).every((b) => b === 0xee)).toBe(true);
      expect(readBuffer.subarray(base + 10000).every((b) => b === 0xee)).toBe(true);
    });
  }

  it('a target copies in-capsule and H2CData data into the command buffer', () => {
    const write = pattern(6000, 9);
    const inCapsule = pattern(512, 3);
    const capsuleBuf = Buffer.alloc(512);
    const writeBuf = Buffer.alloc(6000);
    const s = Buffer.concat([
      icReq(false, false),
      capsuleCmd(pduFormat(false, false), 1, inCapsule),
      capsuleCmd(pduFormat(false, false), 2),
      h2cData(pduFormat(false, false), 2, 77, 0, write.subarray(0, 2500), false),
      h2cData(pduFormat(false, false), 2, 77, 2500, write.subarray(2500), true),
    ]);
    const rx = new PduReceiver({
      role: 'controller',
      maxDataLength: 8192,
      handler: {
        onDataPdu: (hdr, place) =>
          hdr.type === 0x04 ? place.receiveInto(capsuleBuf, 0) : place.receiveInto(writeBuf, hdr.datao),
        onPdu: () => {},
        onError: (e) => {
          throw e;
        },
      },
    });
    feed(rx, s, 700, 11);
    expect(capsuleBuf.equals(inCapsule)).toBe(true);
    expect(writeBuf.equals(write)).toBe(true);
  });
});

describe('unplaced data', () => {
  const fmt = pduFormat(false, true);
  const data = pattern(3000);
  const pdu = c2hData(fmt, 1, 0, data);

  function receiver(delivered: Buffer[]): PduReceiver {
    const rx: PduReceiver = new PduReceiver({
      role: 'host',
      maxDataLength: 4096,
      handler: {
        onPdu: (hdr, d) => {
          if (hdr.type === 0x01) rx.setDigests(false, true);
          else delivered.push(d!);
        },
        onError: (e) => {
          throw e;
        },
      },
    });
    rx.push(icResp(false, true));
    return rx;
  }

  it('is a view of the pushed chunk when it came in one chunk', () => {
    const delivered: Buffer[] = [];
    const chunk = Buffer.concat([pdu, pdu]);
    receiver(delivered).push(chunk);
    expect(delivered.length).toBe(2);
    expect(delivered[0]!.buffer).toBe(chunk.buffer);
    expect(delivered[0]!.byteOffset).toBe(chunk.byteOffset + 24);
    expect(delivered[1]!.byteOffset).toBe(chunk.byteOffset + pdu.length + 24);
    expect(delivered[1]!.equals(data)).toBe(true);
  });

  it('is a copy when it straddled chunks', () => {
    const delivered: Buffer[] = [];
    const rx = receiver(delivered);
    const first = Buffer.from(pdu.subarray(0, 1000));
    const second = Buffer.from(pdu.subarray(1000));
    rx.push(first);
    rx.push(second);
    first.fill(0);
    second.fill(0);
    expect(delivered[0]!.equals(data)).toBe(true);
  });
});
