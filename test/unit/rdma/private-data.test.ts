/**
 * NVMe/RDMA rdma_cm private data: the connect request Linux's host sends,
 * the accept and the reject, byte for byte, and the typed reject error.
 */
import { describe, expect, it } from 'vitest';
import { ProtocolError } from '../../../src/spec/errors.js';
import {
  decodeRdmaCmAccept,
  decodeRdmaCmReject,
  decodeRdmaCmRequest,
  encodeRdmaCmAccept,
  encodeRdmaCmReject,
  encodeRdmaCmRequest,
  RDMA_CM_REQUEST_SIZE,
  RdmaCmRejectError,
  rdmaCmRequestFor,
  RdmaCmStatus,
} from '../../../src/spec/rdma.js';

describe('connect request private data', () => {
  it('lays out RECFMT, QID, HRQSIZE, HSQSIZE and CNTLID little endian in 32 bytes', () => {
    const b = encodeRdmaCmRequest({ recfmt: 0, qid: 3, hrqsize: 128, hsqsize: 127, cntlid: 0x1234 });
    expect(b.length).toBe(RDMA_CM_REQUEST_SIZE);
    expect(b.subarray(0, 10).toString('hex')).toBe('0000' + '0300' + '8000' + '7f00' + '3412');
    expect(b.subarray(10).every((x) => x === 0)).toBe(true);
  });

  it('sizes a queue as Linux does: HRQSIZE is the count, HSQSIZE is 0-based', () => {
    expect(rdmaCmRequestFor(0, 32)).toEqual({ recfmt: 0, qid: 0, hrqsize: 32, hsqsize: 31, cntlid: 0 });
  });

  it('round-trips, and clears reserved bytes of a reused buffer', () => {
    const out = Buffer.alloc(40, 0xee);
    const r = { recfmt: 0, qid: 7, hrqsize: 64, hsqsize: 63, cntlid: 0xffff };
    encodeRdmaCmRequest(r, out, 4);
    expect(out.subarray(14, 36).every((x) => x === 0)).toBe(true);
    expect(out[3]).toBe(0xee);
    expect(decodeRdmaCmRequest(out.subarray(4, 36))).toEqual(r);
  });

  it('rejects a short request with INVALID_LENGTH and another RECFMT with INVALID_RECFMT', () => {
    expect(() => decodeRdmaCmRequest(Buffer.alloc(8))).toThrow(expect.objectContaining({ sts: RdmaCmStatus.INVALID_LENGTH }));
    const b = encodeRdmaCmRequest({ recfmt: 1, qid: 0, hrqsize: 32, hsqsize: 31, cntlid: 0 });
    let err: unknown;
    try {
      decodeRdmaCmRequest(b);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(RdmaCmRejectError);
    expect(err).toBeInstanceOf(ProtocolError);
    expect((err as RdmaCmRejectError).sts).toBe(RdmaCmStatus.INVALID_RECFMT);
    expect((err as RdmaCmRejectError).field).toBe('recfmt');
  });
});

describe('accept private data', () => {
  it('carries RECFMT and CRQSIZE', () => {
    const b = encodeRdmaCmAccept({ recfmt: 0, crqsize: 128 });
    expect(b.subarray(0, 4).toString('hex')).toBe('00008000');
    expect(decodeRdmaCmAccept(b)).toEqual({ recfmt: 0, crqsize: 128 });
  });

  it('refuses a short accept or an unknown record format, naming the field', () => {
    expect(() => decodeRdmaCmAccept(Buffer.alloc(2))).toThrow(/privateData/);
    expect(() => decodeRdmaCmAccept(Buffer.from('01002000', 'hex'))).toThrow(/recfmt=1/);
  });
});

describe('reject private data', () => {
  it('carries RECFMT and STS; none when the CM rejected without NVMe/RDMA data', () => {
    const b = encodeRdmaCmReject(RdmaCmStatus.INVALID_HSQSIZE);
    expect(b.toString('hex')).toBe('00000400');
    expect(decodeRdmaCmReject(b)).toEqual({ recfmt: 0, sts: 4 });
    expect(decodeRdmaCmReject(Buffer.alloc(0))).toBeNull();
  });

  it('names the refused field and the status in the error', () => {
    const e = new RdmaCmRejectError(RdmaCmStatus.INVALID_HRQSIZE, 'qid 0');
    expect(e.field).toBe('hrqsize');
    expect(e.message).toBe('NVMe/RDMA reject STS 5 (invalid host receive queue size, field hrqsize): qid 0');
    expect(new RdmaCmRejectError(0x42, 'x').message).toMatch(/^NVMe\/RDMA reject STS 66 \(unknown NVMe\/RDMA reject status, field unknown\)/);
  });
});
