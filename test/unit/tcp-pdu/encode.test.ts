/** Encoder layouts, padding, digests, TermReq and ICReq/ICResp helpers. */
import { crc32c as nativeCrc32c } from '@node-rs/crc32';
import { describe, expect, it } from 'vitest';
import { encodeSqe } from '../../../src/spec/sqe.js';
import {
  checkIcReq,
  checkIcResp,
  crc32c,
  dataOffset,
  encodeC2HData,
  encodeCapsuleCmd,
  encodeH2CData,
  encodeIcReq,
  encodeIcResp,
  encodeR2T,
  encodeTermReq,
  Fes,
  PDU_TYPES,
  PduError,
  pduFormat,
  PduHeader,
  PduType,
  parseIcReq,
  parseIcResp,
  type IcResp,
} from '../../../src/spec/tcp/index.js';
import { c2hData, icResp, pattern } from './build.js';
import { recorder } from './helpers.js';

describe('PDU type table', () => {
  it('pins HLEN and sender of every PDU type', () => {
    const table = PDU_TYPES.flatMap((t) => (t ? [[t.type, t.name, t.hlen, t.sender]] : []));
    expect(table).toEqual([
      [0x00, 'ICReq', 128, 'host'],
      [0x01, 'ICResp', 128, 'controller'],
      [0x02, 'H2CTermReq', 24, 'host'],
      [0x03, 'C2HTermReq', 24, 'controller'],
      [0x04, 'CapsuleCmd', 72, 'host'],
      [0x05, 'CapsuleResp', 24, 'controller'],
      [0x06, 'H2CData', 24, 'host'],
      [0x07, 'C2HData', 24, 'controller'],
      [0x09, 'R2T', 24, 'controller'],
    ]);
  });
});

describe('CRC32C', () => {
  it('matches the standard check value and chains across buffers', () => {
    const check = Buffer.from('123456789');
    expect(crc32c(check, 0, 9)).toBe(0xe3069283);
    expect(crc32c(check, 4, 9, crc32c(check, 0, 4))).toBe(0xe3069283);
    expect(crc32c(Buffer.from('xx123456789yy'), 2, 11)).toBe(0xe3069283);
  });

  it('gives the native result for every length, on both sides of the table/native switch', () => {
    const buf = pattern(400, 3);
    for (let n = 0; n <= 300; n++) {
      expect(crc32c(buf, 50, 50 + n)).toBe(nativeCrc32c(buf.subarray(50, 50 + n)));
      const split = n >> 1;
      expect(crc32c(buf, 50 + split, 50 + n, crc32c(buf, 50, 50 + split))).toBe(nativeCrc32c(buf.subarray(50, 50 + n)));
    }
  });
});

describe('encoders', () => {
  const out = Buffer.alloc(512);

  it('R2T puts CCCID, TTAG, R2TO and R2TL at offsets 8, 10, 12, 16 and zeroes the rest', () => {
    out.fill(0xff);
    const n = encodeR2T(out, 3, pduFormat(false, false), 0x1234, 0xbeef, 0x10000, 0x20000);
    expect(n).toBe(24);
    expect(out.subarray(3, 3 + n).toString('hex')).toBe(
      '09001800' + '18000000' + '3412' + 'efbe' + '00000100' + '00000200' + '00000000',
    );
    expect(out[2]).toBe(0xff);
    expect(out[3 + n]).toBe(0xff);
  });

  it('H2CData with digests: HDGST over the 24-byte header, PDO 28, PLEN counts data and DDGST', () => {
    const n = encodeH2CData(out, 0, pduFormat(true, true), 7, 9, 4096, 8192, true);
    const hdr = new PduHeader(out);
    expect(n).toBe(28);
    expect([hdr.type, hdr.flags, hdr.hlen, hdr.pdo, hdr.plen]).toEqual([PduType.H2C_DATA, 0x07, 24, 28, 28 + 8192 + 4]);
    expect([hdr.cccid, hdr.ttag, hdr.datao, hdr.datal, hdr.dataLength]).toEqual([7, 9, 4096, 8192, 8192]);
    expect(hdr.headerDigest).toBe(crc32c(out, 0, 24));
  });

  it('pads the header up to the PDU data alignment with zeros', () => {
    out.fill(0xff);
    const fmt = pduFormat(true, true, 3);
    expect(dataOffset(fmt, 24)).toBe(32);
    expect(dataOffset(fmt, 72)).toBe(80);
    expect(dataOffset(pduFormat(false, false, 31), 24)).toBe(128);
    const n = encodeC2HData(out, 0, fmt, 1, 0, 100, true, true);
    expect(n).toBe(32);
    expect(out.subarray(28, 32).toString('hex')).toBe('00000000');
    const hdr = new PduHeader(out);
    expect([hdr.pdo, hdr.plen, hdr.flags]).toEqual([32, 32 + 100 + 4, 0x0f]);
  });

  it('a receiver asking for alignment decodes padded PDUs, and so does one that asked for none', () => {
    const data = pattern(333);
    const pdu = c2hData(pduFormat(true, true, 7), 4, 0, data);
    expect(pdu[3]).toBe(32);
    for (const pda of [7, 0]) {
      const rec = recorder('host', { pda });
      rec.rx.push(Buffer.concat([icResp(true, true), pdu]));
      expect(rec.errors).toEqual([]);
      expect(rec.pdus[1]!.data!.equals(data)).toBe(true);
    }
  });

  it('CapsuleCmd without data has PDO 0, no DDGSTF and no data digest, even with data digests on', () => {
    const sqe = encodeSqe({ opc: 0x02, cid: 42, nsid: 1 });
    const n = encodeCapsuleCmd(out, 0, pduFormat(true, true), sqe, 0, 0);
    const hdr = new PduHeader(out);
    expect(n).toBe(76);
    expect([hdr.flags, hdr.pdo, hdr.plen, hdr.dataLength]).toEqual([0x01, 0, 76, 0]);
    expect(hdr.sqe.equals(sqe)).toBe(true);
  });

  it('C2HData refuses SUCCESS without LAST_PDU', () => {
    expect(() => encodeC2HData(out, 0, pduFormat(false, false), 1, 0, 8, false, true)).toThrow(RangeError);
  });
});

describe('TermReq', () => {
  const out = Buffer.alloc(256);

  it('writes FEI only for the FES values that define it', () => {
    for (const fes of Object.values(Fes)) {
      encodeTermReq(out, 0, PduType.C2H_TERM_REQ, fes, 0x01020304, Buffer.alloc(24, 0xaa));
      const hdr = new PduHeader(out);
      expect(hdr.fes).toBe(fes);
      const defined = fes === Fes.INVALID_PDU_HEADER_FIELD || fes === Fes.UNSUPPORTED_PARAMETER;
      expect(hdr.fei).toBe(defined ? 0x01020304 : 0);
    }
  });

  it('quotes at most 128 bytes of the offending header (PLEN <= 152), with no digests and PDO 0', () => {
    const n = encodeTermReq(out, 0, PduType.H2C_TERM_REQ, Fes.PDU_SEQUENCE_ERROR, 0, pattern(200));
    const hdr = new PduHeader(out);
    expect(n).toBe(152);
    expect([hdr.type, hdr.flags, hdr.hlen, hdr.pdo, hdr.plen, hdr.dataLength]).toEqual([2, 0, 24, 0, 152, 128]);
    expect(out.subarray(24, 152).equals(pattern(128))).toBe(true);
  });
});

describe('ICReq / ICResp', () => {
  const out = Buffer.alloc(128);

  it('round-trip their fields at the spec offsets, reserved bytes zero', () => {
    out.fill(0xff);
    encodeIcReq(out, 0, { hdgst: true, ddgst: false, hpda: 2, maxr2t: 3 });
    expect(out.subarray(0, 16).toString('hex')).toBe('00008000' + '80000000' + '0000' + '02' + '01' + '03000000');
    expect(out.subarray(16).every((b) => b === 0)).toBe(true);
    expect(parseIcReq(new PduHeader(out))).toEqual({ pfv: 0, hpda: 2, hdgst: true, ddgst: false, maxr2t: 3 });

    encodeIcResp(out, 0, { hdgst: false, ddgst: true, maxh2cdata: 131072 });
    expect(parseIcResp(new PduHeader(out))).toEqual({ pfv: 0, cpda: 0, hdgst: false, ddgst: true, maxh2cdata: 131072 });
  });

  const good: IcResp = { pfv: 0, cpda: 0, hdgst: true, ddgst: true, maxh2cdata: 131072 };
  const both = { hdgst: true, ddgst: true };

  it('checkIcResp accepts what Linux accepts, including a declined digest', () => {
    expect(() => checkIcResp(good, both)).not.toThrow();
    expect(() => checkIcResp({ ...good, hdgst: false }, both)).not.toThrow();
    expect(() => checkIcResp({ ...good, maxh2cdata: 4096 }, both)).not.toThrow();
  });

  const bad: [Partial<IcResp>, { hdgst: boolean; ddgst: boolean }, string, number, number][] = [
    [{ pfv: 1 }, both, 'pfv', Fes.INVALID_PDU_HEADER_FIELD, 8],
    [{ cpda: 1 }, both, 'cpda', Fes.UNSUPPORTED_PARAMETER, 10],
    [{}, { hdgst: false, ddgst: true }, 'dgst', Fes.INVALID_PDU_HEADER_FIELD, 11],
    [{}, { hdgst: true, ddgst: false }, 'dgst', Fes.INVALID_PDU_HEADER_FIELD, 11],
    [{ maxh2cdata: 4092 }, both, 'maxh2cdata', Fes.INVALID_PDU_HEADER_FIELD, 12],
    [{ maxh2cdata: 8190 }, both, 'maxh2cdata', Fes.INVALID_PDU_HEADER_FIELD, 12],
  ];
  for (const [change, requested, field, fes, fei] of bad) {
    it(`checkIcResp rejects ${JSON.stringify(change)} when the host asked ${JSON.stringify(requested)}`, () => {
      let caught: unknown;
      try {
        checkIcResp({ ...good, ...change }, requested);
      } catch (e) {
        caught = e;
      }
      expect(caught).toBeInstanceOf(PduError);
      const e = caught as PduError;
      expect([e.field, e.fes, e.fei]).toEqual([field, fes, fei]);
    });
  }

  it('checkIcReq rejects an unknown PFV and an HPDA above 31', () => {
    const icreq = { pfv: 0, hpda: 31, hdgst: false, ddgst: false, maxr2t: 0 };
    expect(() => checkIcReq(icreq)).not.toThrow();
    expect(() => checkIcReq({ ...icreq, pfv: 1 })).toThrow(/pfv=1/);
    expect(() => checkIcReq({ ...icreq, hpda: 32 })).toThrow(/hpda=32/);
  });
});
