/**
 * The target's answer to an NVMe/RDMA connect request: which field makes it
 * reject, with which NVMe/RDMA status, and the queue it opens otherwise.
 */
import { describe, expect, it } from 'vitest';
import { encodeRdmaCmRequest, RdmaCmRejectError, rdmaCmRequestFor, RdmaCmStatus } from '../../../src/spec/rdma.js';
import { checkConnectRequest, type ConnectLimits } from '../../../src/target/transport/rdma/connect-request.js';

const LIMITS: ConnectLimits = { maxAqDepth: 32, maxQueueDepth: 128, maxQid: 4, maxReadDepth: 16 };

function request(over: Partial<{ recfmt: number; qid: number; hrqsize: number; hsqsize: number; cntlid: number }>): Buffer {
  return encodeRdmaCmRequest({ ...rdmaCmRequestFor(1, 128), ...over });
}

function rejectOf(data: Buffer, hostIrd = 16): RdmaCmRejectError {
  try {
    checkConnectRequest(data, hostIrd, LIMITS);
  } catch (err) {
    expect(err).toBeInstanceOf(RdmaCmRejectError);
    return err as RdmaCmRejectError;
  }
  throw new Error('expected a reject');
}

describe('checkConnectRequest', () => {
  it("accepts Linux's admin and I/O requests: qsize HSQSIZE + 1, read depth the host's IRD capped", () => {
    const admin = checkConnectRequest(encodeRdmaCmRequest(rdmaCmRequestFor(0, 32)), 128, LIMITS);
    expect(admin).toMatchObject({ qsize: 32, readDepth: 16, request: { qid: 0, hrqsize: 32, hsqsize: 31 } });
    const io = checkConnectRequest(encodeRdmaCmRequest(rdmaCmRequestFor(4, 128, 1)), 4, LIMITS);
    expect(io).toMatchObject({ qsize: 128, readDepth: 4, request: { qid: 4, cntlid: 1 } });
  });

  it('takes the 56 bytes of private data rdma_cm delivers (the request in the first 32)', () => {
    const data = Buffer.concat([request({}), Buffer.alloc(24, 0xee)]);
    expect(checkConnectRequest(data, 16, LIMITS).qsize).toBe(128);
  });

  it.each([
    ['private data shorter than 32 bytes', request({}).subarray(0, 31), RdmaCmStatus.INVALID_LENGTH, /31 bytes of private data, expected 32/],
    ['RECFMT 1', request({ recfmt: 1 }), RdmaCmStatus.INVALID_RECFMT, /RECFMT 1, expected 0/],
    ['a QID above the I/O queue limit', request({ qid: 5 }), RdmaCmStatus.INVALID_QID, /QID 5, expected at most 4/],
    ['an I/O queue larger than max_queue_depth', request({ hsqsize: 128, hrqsize: 129 }), RdmaCmStatus.INVALID_HSQSIZE, /HSQSIZE 128, expected 1 to 127/],
    ['an admin queue larger than max_aq_depth', request({ qid: 0, hsqsize: 32, hrqsize: 33 }), RdmaCmStatus.INVALID_HSQSIZE, /HSQSIZE 32, expected 1 to 31/],
    ['HSQSIZE 0 (a one-entry queue)', request({ hsqsize: 0, hrqsize: 1 }), RdmaCmStatus.INVALID_HSQSIZE, /HSQSIZE 0/],
    ['fewer host receives than commands', request({ hsqsize: 63, hrqsize: 63 }), RdmaCmStatus.INVALID_HRQSIZE, /HRQSIZE 63, expected at least HSQSIZE \+ 1 \(64\)/],
  ])('rejects %s', (_what, data, sts, message) => {
    const err = rejectOf(data);
    expect(err.sts).toBe(sts);
    expect(err.message).toMatch(message);
  });

  it('rejects a host that takes no RDMA READs (IRD 0) with INVALID_IRD', () => {
    const err = rejectOf(request({}), 0);
    expect(err.sts).toBe(RdmaCmStatus.INVALID_IRD);
    expect(err.field).toBe('ird');
  });

  it('checks the record format before the queue fields', () => {
    expect(rejectOf(request({ recfmt: 7, qid: 99, hsqsize: 0 })).sts).toBe(RdmaCmStatus.INVALID_RECFMT);
  });
});
