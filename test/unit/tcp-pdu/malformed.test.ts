/** The receiver rejects malformed input with the field, FES and FEI a TermReq reports. */
import { describe, expect, it } from 'vitest';
import { ProtocolError } from '../../../src/spec/errors.js';
import {
  checkIcResp,
  DataDigestError,
  encodeTermReq,
  Fes,
  parseIcResp,
  PduError,
  pduFormat,
  PduReceiver,
  PduType,
  type PduHeader,
} from '../../../src/spec/tcp/index.js';
import { c2hData, capsuleCmd, capsuleResp, h2cData, icReq, icResp, pattern, r2t } from './build.js';
import { recorder } from './helpers.js';

const plain = pduFormat(false, false);
const digests = pduFormat(true, true);

function expectPduError(err: unknown, field: string, fes: number, fei: number): void {
  expect(err).toBeInstanceOf(PduError);
  const e = err as PduError;
  expect({ field: e.field, fes: e.fes, fei: e.fei }).toEqual({ field, fes, fei });
  expect(e.message).toContain(field);
}

/** A host receiver past its ICResp, with digests as given. */
function host(withDigests: boolean, opts: { maxDataLength?: number; pda?: number } = {}) {
  const rec = recorder('host', opts);
  rec.rx.push(icResp(withDigests, withDigests));
  expect(rec.pdus.length).toBe(1);
  return rec;
}

/** `pdu` with byte `at` replaced (or a 32-bit LE field when `width` is 4). */
function patch(pdu: Buffer, at: number, value: number, width: 1 | 4 = 1): Buffer {
  const b = Buffer.from(pdu);
  if (width === 1) b[at] = value;
  else b.writeUInt32LE(value, at);
  return b;
}

describe('incomplete input', () => {
  it('waits for more bytes of a truncated PDU, then completes it', () => {
    const { rx, pdus, errors } = host(true);
    const stream = Buffer.concat([capsuleResp(digests, 1), c2hData(digests, 2, 0, pattern(1000))]);
    rx.push(stream.subarray(0, stream.length - 1));
    expect(pdus.length).toBe(2);
    expect(rx.atPduBoundary).toBe(false);
    rx.push(stream.subarray(stream.length - 1));
    expect(errors).toEqual([]);
    expect(pdus.length).toBe(3);
    expect(pdus[2]!.data!.equals(pattern(1000))).toBe(true);
    expect(rx.atPduBoundary).toBe(true);
  });
});

describe('common header', () => {
  it('rejects a huge PLEN from the 8-byte common header, before asking for a data buffer', () => {
    let asked = false;
    const errors: ProtocolError[] = [];
    const rx = new PduReceiver({
      role: 'host',
      maxDataLength: 1 << 20,
      handler: {
        onDataPdu: () => {
          asked = true;
        },
        onPdu: () => {},
        onError: (e) => errors.push(e),
      },
    });
    rx.push(icResp(false, false));
    rx.push(patch(c2hData(plain, 1, 0, pattern(64)), 4, 0xffffffff, 4).subarray(0, 8));
    expect(asked).toBe(false);
    expect(errors.length).toBe(1);
    expectPduError(errors[0], 'plen', Fes.DATA_TRANSFER_LIMIT_EXCEEDED, 4);
  });

  it('rejects data beyond maxDataLength', () => {
    const { rx, errors } = host(false, { maxDataLength: 4096 });
    rx.push(c2hData(plain, 1, 0, pattern(4100)));
    expectPduError(errors[0], 'plen', Fes.DATA_TRANSFER_LIMIT_EXCEEDED, 4);
  });

  for (const type of [0x08, 0x0a, 0x7f, 0xff]) {
    it(`rejects the undefined PDU type 0x${type.toString(16)}`, () => {
      const { rx, errors } = host(false);
      rx.push(patch(capsuleResp(plain, 1), 0, type));
      expectPduError(errors[0], 'pdu-type', Fes.INVALID_PDU_HEADER_FIELD, 0);
    });
  }

  it('rejects PDUs the role does not receive', () => {
    const h = host(false);
    h.rx.push(capsuleCmd(plain, 1));
    expectPduError(h.errors[0], 'pdu-type', Fes.INVALID_PDU_HEADER_FIELD, 0);

    const c = recorder('controller');
    c.rx.push(icReq(false, false));
    c.rx.push(c2hData(plain, 1, 0, pattern(8)));
    expectPduError(c.errors[0], 'pdu-type', Fes.INVALID_PDU_HEADER_FIELD, 0);

    const early = recorder('controller');
    early.rx.push(icResp(false, false));
    expectPduError(early.errors[0], 'pdu-type', Fes.INVALID_PDU_HEADER_FIELD, 0);
  });

  it('rejects any PDU before ICResp / ICReq and a second one after it (sequence)', () => {
    const h = recorder('host');
    h.rx.push(capsuleResp(plain, 1));
    expectPduError(h.errors[0], 'pdu-type', Fes.PDU_SEQUENCE_ERROR, 0);

    const h2 = host(false);
    h2.rx.push(icResp(false, false));
    expectPduError(h2.errors[0], 'pdu-type', Fes.PDU_SEQUENCE_ERROR, 0);

    const c = recorder('controller');
    c.rx.push(Buffer.concat([icReq(false, false), capsuleCmd(plain, 1), icReq(false, false)]));
    expect(c.pdus.length).toBe(2);
    expectPduError(c.errors[0], 'pdu-type', Fes.PDU_SEQUENCE_ERROR, 0);
  });

  it('accepts a TermReq before initialization (a controller rejecting the ICReq)', () => {
    const h = recorder('host');
    const out = Buffer.alloc(152);
    const n = encodeTermReq(out, 0, PduType.C2H_TERM_REQ, Fes.INVALID_PDU_HEADER_FIELD, 10, icReq(false, false, 40));
    h.rx.push(out.subarray(0, n));
    expect(h.errors).toEqual([]);
    expect(h.pdus[0]!.type).toBe(PduType.C2H_TERM_REQ);
  });

  it('rejects a wrong HLEN for the type', () => {
    const { rx, errors } = host(false);
    rx.push(patch(capsuleResp(plain, 1), 2, 28));
    expectPduError(errors[0], 'hlen', Fes.INVALID_PDU_HEADER_FIELD, 2);

    const ic = recorder('host');
    ic.rx.push(patch(icResp(false, false), 2, 24));
    expectPduError(ic.errors[0], 'hlen', Fes.INVALID_PDU_HEADER_FIELD, 2);
  });

  it('rejects PDO below HLEN + HDGST, beyond PLEN, misaligned, or set on a PDU without data', () => {
    const cases: [Buffer, boolean, number][] = [
      [patch(c2hData(digests, 1, 0, pattern(64)), 3, 24), true, 0],
      [patch(c2hData(plain, 1, 0, pattern(64)), 3, 20), false, 0],
      [patch(c2hData(plain, 1, 0, pattern(64)), 3, 200), false, 0],
      [patch(capsuleResp(plain, 1), 3, 24), false, 0],
      [c2hData(digests, 1, 0, pattern(64)), true, 1],
    ];
    for (const [pdu, withDigests, pda] of cases) {
      const { rx, errors } = host(withDigests, { pda });
      rx.push(pdu);
      expectPduError(errors[0], 'pdo', Fes.INVALID_PDU_HEADER_FIELD, 3);
    }
  });

  it('rejects a PLEN that does not fit the type', () => {
    const cases: [Buffer, boolean][] = [
      [patch(capsuleResp(plain, 1), 4, 32, 4), false],
      [patch(capsuleResp(digests, 1), 4, 24, 4), true],
      [patch(r2t(plain, 1, 1, 0, 4096), 4, 20, 4), false],
      [patch(c2hData(digests, 1, 0, pattern(64)), 4, 30, 4), true],
    ];
    for (const [pdu, withDigests] of cases) {
      const { rx, errors } = host(withDigests);
      rx.push(pdu);
      expectPduError(errors[0], 'plen', Fes.INVALID_PDU_HEADER_FIELD, 4);
    }
    const ic = recorder('host');
    ic.rx.push(Buffer.concat([patch(icResp(false, false), 4, 132, 4), Buffer.alloc(4)]));
    expectPduError(ic.errors[0], 'plen', Fes.INVALID_PDU_HEADER_FIELD, 4);

    const term = host(false);
    const out = Buffer.alloc(200);
    encodeTermReq(out, 0, PduType.C2H_TERM_REQ, Fes.PDU_SEQUENCE_ERROR, 0, Buffer.alloc(128));
    term.rx.push(patch(out.subarray(0, 153), 4, 153, 4));
    expectPduError(term.errors[0], 'plen', Fes.INVALID_PDU_HEADER_FIELD, 4);
  });

  it('rejects digest flags that disagree with the negotiated digests, and stray flags', () => {
    const cases: [Buffer, boolean][] = [
      [capsuleResp(digests, 1), false],
      [capsuleResp(plain, 1), true],
      [patch(capsuleResp(plain, 1), 1, 0x02), false],
      [c2hData(pduFormat(true, false), 1, 0, pattern(64)), true],
      [c2hData(pduFormat(false, true), 1, 0, pattern(64)), false],
      [patch(c2hData(plain, 1, 0, pattern(64)), 1, 0x08), false],
      [patch(r2t(plain, 1, 1, 0, 512), 1, 0x04), false],
    ];
    for (const [pdu, withDigests] of cases) {
      const { rx, errors } = host(withDigests);
      rx.push(pdu);
      expectPduError(errors[0], 'flags', Fes.INVALID_PDU_HEADER_FIELD, 1);
    }
    const ic = recorder('host');
    ic.rx.push(patch(icResp(false, false), 1, 0x01));
    expectPduError(ic.errors[0], 'flags', Fes.INVALID_PDU_HEADER_FIELD, 1);
  });

  it('rejects a DATAL that disagrees with PLEN', () => {
    const { rx, errors } = host(false);
    rx.push(patch(c2hData(plain, 1, 0, pattern(64)), 16, 60, 4));
    expectPduError(errors[0], 'datal', Fes.INVALID_PDU_HEADER_FIELD, 16);
  });
});

describe('digests', () => {
  it('rejects a header digest mismatch', () => {
    const { rx, errors, pdus } = host(true);
    const bad = capsuleResp(digests, 7);
    bad[8] ^= 0x01;
    rx.push(bad);
    expect(pdus.length).toBe(1);
    expectPduError(errors[0], 'hdgst', Fes.HEADER_DIGEST_ERROR, 24);
  });

  it('reports a data digest mismatch apart, and keeps receiving', () => {
    const { rx, errors, pdus, digestErrors } = host(true);
    const bad = c2hData(digests, 3, 0, pattern(512));
    bad[28 + 100] ^= 0x80;
    rx.push(Buffer.concat([bad, capsuleResp(digests, 3)]));
    expect(errors).toEqual([]);
    expect(digestErrors.length).toBe(1);
    expect(digestErrors[0]).toBeInstanceOf(DataDigestError);
    expect(digestErrors[0]!.field).toBe('ddgst');
    expect(digestErrors[0]!.offset).toBe(28 + 512);
    expect(pdus.map((p) => p.type)).toEqual([PduType.IC_RESP, PduType.CAPSULE_RESP]);
  });

  it('treats a data digest mismatch as fatal when the handler has no onDataDigestError', () => {
    const errors: ProtocolError[] = [];
    const seen: number[] = [];
    const rx = new PduReceiver({
      role: 'controller',
      maxDataLength: 8192,
      handler: { onPdu: (hdr) => seen.push(hdr.type), onError: (e) => errors.push(e) },
    });
    rx.push(icReq(true, true));
    rx.setDigests(true, true);
    const bad = h2cData(digests, 1, 1, 0, pattern(100));
    bad[bad.length - 1] ^= 0xff;
    rx.push(Buffer.concat([bad, capsuleCmd(digests, 2)]));
    expect(seen).toEqual([PduType.IC_REQ]);
    expect(errors.length).toBe(1);
    expect(errors[0]).toBeInstanceOf(DataDigestError);
  });
});

describe('after an error', () => {
  it('ignores input until reset, quotes the offending header, and starts over after reset', () => {
    const { rx, errors, pdus } = host(true);
    const bad = capsuleResp(digests, 9);
    bad[20] ^= 0x10;
    rx.push(bad);
    expect(rx.failed).toBe(true);
    const quoted = Buffer.from(rx.offendingHeader);
    expect(quoted.equals(bad.subarray(0, 24))).toBe(true);

    rx.push(capsuleResp(digests, 10));
    expect(errors.length).toBe(1);
    expect(pdus.length).toBe(1);

    const out = Buffer.alloc(152);
    const n = encodeTermReq(out, 0, PduType.H2C_TERM_REQ, (errors[0] as PduError).fes, (errors[0] as PduError).fei, quoted);
    const target = recorder('controller');
    target.rx.push(out.subarray(0, n));
    expect(target.errors).toEqual([]);
    const term = target.pdus[0]!;
    expect(term.type).toBe(PduType.H2C_TERM_REQ);
    expect(term.header.readUInt16LE(8)).toBe(Fes.HEADER_DIGEST_ERROR);
    expect(term.header.readUInt32LE(10)).toBe(0);
    expect(term.data!.equals(quoted)).toBe(true);

    rx.reset();
    expect(rx.failed).toBe(false);
    rx.push(Buffer.concat([icResp(false, false), capsuleResp(plain, 11)]));
    expect(pdus.map((p) => p.cid)).toEqual([0, 0, 11]);
  });
});

describe('consumer rejections', () => {
  it('a ProtocolError thrown by a callback fails the receiver like its own errors', () => {
    const errors: ProtocolError[] = [];
    const rx: PduReceiver = new PduReceiver({
      role: 'host',
      maxDataLength: 4096,
      handler: {
        onPdu(hdr: PduHeader) {
          if (hdr.type === PduType.IC_RESP) checkIcResp(parseIcResp(hdr), { hdgst: false, ddgst: false });
        },
        onError: (e) => errors.push(e),
      },
    });
    rx.push(Buffer.concat([icResp(true, false), capsuleResp(digests, 1)]));
    expect(rx.failed).toBe(true);
    expectPduError(errors[0], 'dgst', Fes.INVALID_PDU_HEADER_FIELD, 11);
    expect(rx.offendingHeader.length).toBe(128);
  });

  it('receiveInto rejects data that does not fit the command buffer (Data Transfer Out of Range)', () => {
    const errors: ProtocolError[] = [];
    const rx = new PduReceiver({
      role: 'host',
      maxDataLength: 1 << 16,
      handler: {
        onDataPdu: (hdr, place) => place.receiveInto(Buffer.alloc(4096), hdr.datao),
        onPdu: () => {},
        onError: (e) => errors.push(e),
      },
    });
    rx.push(Buffer.concat([icResp(false, false), c2hData(plain, 1, 3000, pattern(2000))]));
    expectPduError(errors[0], 'datal', Fes.DATA_TRANSFER_OUT_OF_RANGE, 16);
  });

  it('other exceptions are bugs and propagate out of push', () => {
    const rx = new PduReceiver({
      role: 'host',
      maxDataLength: 4096,
      handler: {
        onPdu: () => {
          throw new TypeError('consumer bug');
        },
        onError: () => {},
      },
    });
    expect(() => rx.push(icResp(false, false))).toThrow(TypeError);
  });
});
