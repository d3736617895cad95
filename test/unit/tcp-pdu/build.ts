/** Builds whole PDUs with the encoders, for tests that need streams the captures do not have. */
import { encodeCqe } from '../../../src/spec/cqe.js';
import { encodeSqe } from '../../../src/spec/sqe.js';
import {
  encodeC2HData,
  encodeCapsuleCmd,
  encodeCapsuleResp,
  encodeDataDigest,
  encodeH2CData,
  encodeIcReq,
  encodeIcResp,
  encodeR2T,
  type PduFormat,
} from '../../../src/spec/tcp/index.js';

const scratch = Buffer.alloc(1 << 20);

function take(n: number): Buffer {
  return Buffer.from(scratch.subarray(0, n));
}

/** Header + data + data digest, as a transport would send them. */
function withData(fmt: PduFormat, headerBytes: number, data: Buffer): Buffer {
  let n = headerBytes;
  if (data.length > 0) {
    n += data.copy(scratch, n);
    if (fmt.ddgst) n += encodeDataDigest(scratch, n, data, 0, data.length);
  }
  return take(n);
}

export function icReq(hdgst: boolean, ddgst: boolean, hpda = 0): Buffer {
  return take(encodeIcReq(scratch, 0, { hdgst, ddgst, hpda }));
}

export function icResp(hdgst: boolean, ddgst: boolean, maxh2cdata = 131072): Buffer {
  return take(encodeIcResp(scratch, 0, { hdgst, ddgst, maxh2cdata }));
}

export function capsuleResp(fmt: PduFormat, cid: number): Buffer {
  return take(encodeCapsuleResp(scratch, 0, fmt, encodeCqe({ cid, sqid: 1 }), 0));
}

export function capsuleCmd(fmt: PduFormat, cid: number, inCapsule: Buffer = Buffer.alloc(0)): Buffer {
  const sqe = encodeSqe({ opc: 0x01, cid, nsid: 1 });
  return withData(fmt, encodeCapsuleCmd(scratch, 0, fmt, sqe, 0, inCapsule.length), inCapsule);
}

export function c2hData(fmt: PduFormat, cccid: number, datao: number, data: Buffer, last = true, success = false): Buffer {
  return withData(fmt, encodeC2HData(scratch, 0, fmt, cccid, datao, data.length, last, success), data);
}

export function h2cData(fmt: PduFormat, cccid: number, ttag: number, datao: number, data: Buffer, last = true): Buffer {
  return withData(fmt, encodeH2CData(scratch, 0, fmt, cccid, ttag, datao, data.length, last), data);
}

export function r2t(fmt: PduFormat, cccid: number, ttag: number, r2to: number, r2tl: number): Buffer {
  return take(encodeR2T(scratch, 0, fmt, cccid, ttag, r2to, r2tl));
}

/** `n` bytes of a recognisable pattern. */
export function pattern(n: number, seed = 1): Buffer {
  const b = Buffer.alloc(n);
  for (let i = 0; i < n; i++) b[i] = (i * 31 + seed * 7) & 0xff;
  return b;
}
