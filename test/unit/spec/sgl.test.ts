import { describe, expect, it } from 'vitest';
import { ProtocolError } from '../../../src/spec/errors.js';
import {
  SGL_DESCRIPTOR_SIZE,
  SglSubtype,
  SglType,
  decodeSgl,
  encodeSgl,
  sglIdentifier,
  writeInCapsuleSgl,
  writeKeyedSgl,
  writeTransportSgl,
  type SglDescriptor,
} from '../../../src/spec/sgl.js';
import { SqeOffset } from '../../../src/spec/sqe.js';
import { commandCapsules, readStream, streamNames } from './capsule-streams.js';

describe('SGL1 of every captured NVMe/TCP command', () => {
  it.each(streamNames('host-to-ctrl'))('%s', (stream) => {
    const seen = new Set<number>();
    for (const { entry, data } of commandCapsules(readStream(stream))) {
      const bytes = entry.subarray(SqeOffset.DPTR, SqeOffset.DPTR + SGL_DESCRIPTOR_SIZE);
      const desc = decodeSgl(entry, SqeOffset.DPTR);
      seen.add(bytes[15]!);
      expect(encodeSgl(desc).equals(bytes)).toBe(true);
      if (desc.type === SglType.DATA_BLOCK) {
        // In-capsule data: offset 0 in the capsule, as long as the data. SPDK also sends this
        // form with length 0 for host-to-controller commands that carry no data (Set Features).
        expect(desc).toEqual({ type: SglType.DATA_BLOCK, subtype: SglSubtype.OFFSET, address: 0n, length: data.length });
      } else {
        expect(desc.type).toBe(SglType.TRANSPORT_DATA_BLOCK);
        expect(data.length).toBe(0);
      }
    }
    expect([...seen].every((id) => id === 0x01 || id === 0x5a)).toBe(true);
  });

  it('the 128 KiB write through R2T carries a 128 KiB transport descriptor', () => {
    const big = commandCapsules(readStream('linux-host-to-linux-nvmet-tcp-plain.conn2.host-to-ctrl.bin'))
      .map((c) => decodeSgl(c.entry, SqeOffset.DPTR))
      .find((d) => d.length === 128 * 1024);
    expect(big).toEqual({ type: SglType.TRANSPORT_DATA_BLOCK, subtype: SglSubtype.TRANSPORT, length: 131072 });
  });
});

describe('SGL descriptor layout', () => {
  it('identifier byte: type in the high nibble, subtype in the low one', () => {
    expect(sglIdentifier(SglType.TRANSPORT_DATA_BLOCK, SglSubtype.TRANSPORT)).toBe(0x5a);
    expect(sglIdentifier(SglType.DATA_BLOCK, SglSubtype.OFFSET)).toBe(0x01);
    expect(sglIdentifier(SglType.KEYED_DATA_BLOCK, SglSubtype.INVALIDATE_KEY)).toBe(0x4f);
  });

  it('keyed data block: 64-bit address, 24-bit length, 32-bit key', () => {
    const buf = encodeSgl({ type: SglType.KEYED_DATA_BLOCK, subtype: SglSubtype.ADDRESS, address: 0x1122_3344_5566_7788n, length: 0xabcdef, key: 0xfeed_beef });
    expect(buf.toString('hex')).toBe('8877665544332211' + 'efcdab' + 'efbeedfe' + '40');
    expect(decodeSgl(buf)).toEqual({ type: 4, subtype: 0, address: 0x1122_3344_5566_7788n, length: 0xabcdef, key: 0xfeed_beef });
    expect(() => encodeSgl({ type: SglType.KEYED_DATA_BLOCK, subtype: SglSubtype.ADDRESS, address: 0n, length: 0x100_0000, key: 0 })).toThrow(RangeError);
  });

  it('data block, segments and bit bucket round-trip', () => {
    const descs: SglDescriptor[] = [
      { type: SglType.DATA_BLOCK, subtype: SglSubtype.ADDRESS, address: 0xdead_0000n, length: 4096 },
      { type: SglType.SEGMENT, subtype: SglSubtype.ADDRESS, address: 0x1000n, length: 64 },
      { type: SglType.LAST_SEGMENT, subtype: SglSubtype.OFFSET, address: 0x40n, length: 32 },
      { type: SglType.BIT_BUCKET, subtype: SglSubtype.ADDRESS, length: 512 },
    ];
    for (const d of descs) expect(decodeSgl(encodeSgl(d))).toEqual(d);
    expect(encodeSgl(descs[3]!).subarray(0, 8).every((b) => b === 0)).toBe(true);
  });

  it('the hot-path writers match encodeSgl', () => {
    const a = Buffer.alloc(32, 0xff);
    writeInCapsuleSgl(a, 16, 4096);
    expect(a.subarray(16).equals(encodeSgl({ type: SglType.DATA_BLOCK, subtype: SglSubtype.OFFSET, address: 0n, length: 4096 }))).toBe(true);
    expect(a.subarray(0, 16).every((b) => b === 0xff)).toBe(true);
    const t = Buffer.alloc(16, 0xff);
    writeTransportSgl(t, 0, 131072);
    expect(t.equals(encodeSgl({ type: SglType.TRANSPORT_DATA_BLOCK, subtype: SglSubtype.TRANSPORT, length: 131072 }))).toBe(true);
    const k = Buffer.alloc(16, 0xff);
    writeKeyedSgl(k, 0, 0x7f12_3456_7000, 8192, 0x1234, true);
    expect(decodeSgl(k)).toEqual({ type: SglType.KEYED_DATA_BLOCK, subtype: SglSubtype.INVALIDATE_KEY, address: 0x7f12_3456_7000n, length: 8192, key: 0x1234 });
  });

  it('rejects unknown types and subtypes, naming the field', () => {
    const vendor = Buffer.alloc(16);
    vendor[15] = 0xf0;
    expect(() => decodeSgl(vendor)).toThrow(ProtocolError);
    expect(() => decodeSgl(vendor)).toThrow(expect.objectContaining({ field: 'sgl.type', value: 0xf }));
    const badSub = Buffer.alloc(16);
    badSub[15] = 0x5b;
    expect(() => decodeSgl(badSub)).toThrow(expect.objectContaining({ field: 'sgl.subtype', value: 0xb }));
    badSub[15] = 0x4a;
    expect(() => decodeSgl(badSub)).toThrow(expect.objectContaining({ field: 'sgl.subtype' }));
  });
});
