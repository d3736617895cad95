/**
 * Connection initialization: decoding and checking ICReq / ICResp, the first
 * PDU in each direction. The receiver already pins their type, HLEN and PLEN
 * (128); these helpers judge the parameters.
 */
import { PduError } from './pdu-error.js';
import type { PduHeader } from './pdu-header.js';
import { Fes, IcDigest, MAX_PDA, MIN_MAXH2CDATA, PduOffset, PFV_1_0 } from './pdu-types.js';

/** A decoded ICReq. */
export interface IcReq {
  pfv: number;
  /** Host PDU Data Alignment: C2H data must start at a multiple of (hpda + 1) * 4. */
  hpda: number;
  /** The host asks for header digests. */
  hdgst: boolean;
  /** The host asks for data digests. */
  ddgst: boolean;
  /** Outstanding R2Ts per command the host accepts, 0's based. */
  maxr2t: number;
}

/** A decoded ICResp. */
export interface IcResp {
  pfv: number;
  /** Controller PDU Data Alignment: H2C data must start at a multiple of (cpda + 1) * 4. */
  cpda: number;
  /** Header digests are enabled. */
  hdgst: boolean;
  /** Data digests are enabled. */
  ddgst: boolean;
  /** Largest H2CData data length the controller accepts. */
  maxh2cdata: number;
}

/** Decodes the ICReq in `hdr`. */
export function parseIcReq(hdr: PduHeader): IcReq {
  const dgst = hdr.dgst;
  return {
    pfv: hdr.pfv,
    hpda: hdr.hpda,
    hdgst: (dgst & IcDigest.HDGST_ENABLE) !== 0,
    ddgst: (dgst & IcDigest.DDGST_ENABLE) !== 0,
    maxr2t: hdr.maxr2t,
  };
}

/** Decodes the ICResp in `hdr`. */
export function parseIcResp(hdr: PduHeader): IcResp {
  const dgst = hdr.dgst;
  return {
    pfv: hdr.pfv,
    cpda: hdr.cpda,
    hdgst: (dgst & IcDigest.HDGST_ENABLE) !== 0,
    ddgst: (dgst & IcDigest.DDGST_ENABLE) !== 0,
    maxh2cdata: hdr.maxh2cdata,
  };
}

/**
 * Controller side: rejects an ICReq this target cannot serve (PFV other than
 * 1.0, HPDA above 31), as SPDK's target does. Throws PduError.
 */
export function checkIcReq(icreq: IcReq): void {
  if (icreq.pfv !== PFV_1_0) {
    throw pfvError(icreq.pfv);
  }
  if (icreq.hpda > MAX_PDA) {
    throw new PduError('hpda', icreq.hpda, `0 to ${MAX_PDA}`, Fes.INVALID_PDU_HEADER_FIELD, PduOffset.HPDA);
  }
}

/**
 * Host side: the checks Linux's host makes on an ICResp. Throws PduError for
 * a PFV other than 1.0, a digest the host did not ask for, CPDA other than 0
 * (not supported, as in Linux), or MAXH2CDATA below 4096 or not a multiple
 * of 4. A controller may decline a requested digest; the ICResp says what is on.
 */
export function checkIcResp(icresp: IcResp, requested: { hdgst: boolean; ddgst: boolean }): void {
  if (icresp.pfv !== PFV_1_0) {
    throw pfvError(icresp.pfv);
  }
  if ((icresp.hdgst && !requested.hdgst) || (icresp.ddgst && !requested.ddgst)) {
    const dgst = (icresp.hdgst ? IcDigest.HDGST_ENABLE : 0) | (icresp.ddgst ? IcDigest.DDGST_ENABLE : 0);
    const asked = (requested.hdgst ? IcDigest.HDGST_ENABLE : 0) | (requested.ddgst ? IcDigest.DDGST_ENABLE : 0);
    const detail = `no digest beyond the requested 0x${asked.toString(16)}`;
    throw new PduError('dgst', dgst, detail, Fes.INVALID_PDU_HEADER_FIELD, PduOffset.DGST);
  }
  if (icresp.cpda !== 0) {
    const detail = '0 (controller data alignment is not supported)';
    throw new PduError('cpda', icresp.cpda, detail, Fes.UNSUPPORTED_PARAMETER, PduOffset.CPDA);
  }
  if (icresp.maxh2cdata < MIN_MAXH2CDATA || icresp.maxh2cdata % 4 !== 0) {
    throw new PduError(
      'maxh2cdata',
      icresp.maxh2cdata,
      `a multiple of 4 of at least ${MIN_MAXH2CDATA}`,
      Fes.INVALID_PDU_HEADER_FIELD,
      PduOffset.MAXH2CDATA,
    );
  }
}

function pfvError(pfv: number): PduError {
  return new PduError('pfv', pfv, `PDU format version ${PFV_1_0} (1.0)`, Fes.INVALID_PDU_HEADER_FIELD, PduOffset.PFV);
}
