/**
 * NVMe/TCP PDU encoders. Each writes one PDU header into a caller-provided
 * Buffer at an offset and returns the bytes written, so a transport can build
 * a batch of PDUs in one preallocated buffer and flush it once per tick.
 *
 * Data-bearing PDUs (CapsuleCmd with in-capsule data, H2CData, C2HData):
 * the encoder writes the common header, the type-specific header, the header
 * digest and zero padding up to PDO, and returns PDO. The caller then sends
 * the data (copied behind the header, or as its own Buffer in a writev) and,
 * when data digests are on, the digest from `encodeDataDigest` (4 bytes).
 *
 *     PDU = header (HLEN) | HDGST? | padding up to PDO | data (DATAL) | DDGST?
 *     PLEN = PDO + DATAL + (DDGST ? 4 : 0); PDO = 0 when there is no data.
 *
 * Encoders run once per PDU on the hot path: they never allocate and trust
 * their arguments (the transport computed them).
 */
import { crc32c, writeDigest } from './crc32c.js';
import {
  ChOffset,
  DIGEST_SIZE,
  FES_WITH_FEI,
  IC_PDU_SIZE,
  IcDigest,
  PduFlag,
  PduOffset,
  PduType,
  PFV_1_0,
  pdaAlignment,
  TERM_REQ_MAX_SIZE,
} from './pdu-types.js';
import { SQE_SIZE, SqeOffset, Psdt } from '../sqe.js';
import { CQE_SIZE } from '../cqe.js';
import { writeInCapsuleSgl, writeTransportSgl } from '../sgl.js';

const CAPSULE_CMD_HLEN = 72;
const CAPSULE_RESP_HLEN = 24;
/** H2CData, C2HData and R2T headers: the common header and the transfer fields. */
const TRANSFER_HLEN = 24;
const DATA_HLEN = TRANSFER_HLEN;
const R2T_HLEN = TRANSFER_HLEN;
const TERM_REQ_HLEN = 24;
const TERM_REQ_MAX_DATA = TERM_REQ_MAX_SIZE - TERM_REQ_HLEN;

/**
 * How this side sends PDUs on one connection, fixed by the ICReq/ICResp
 * exchange. Create it once per connection with `pduFormat`.
 */
export interface PduFormat {
  /** Header digests enabled. */
  readonly hdgst: boolean;
  /** Data digests enabled. */
  readonly ddgst: boolean;
  /**
   * The PDU data alignment the peer asked for: CPDA from the ICResp when the
   * host sends, HPDA from the ICReq when the controller sends. 0 means
   * 4-byte alignment, which every header already has (no padding).
   */
  readonly pda: number;
}

/** A `PduFormat` for one connection. */
export function pduFormat(hdgst: boolean, ddgst: boolean, pda = 0): PduFormat {
  return Object.freeze({ hdgst, ddgst, pda });
}

/** PDO for a data PDU of header length `hlen`: HLEN + HDGST, rounded up to the PDA alignment. */
export function dataOffset(fmt: PduFormat, hlen: number): number {
  const align = pdaAlignment(fmt.pda);
  const unpadded = hlen + (fmt.hdgst ? DIGEST_SIZE : 0);
  return Math.ceil(unpadded / align) * align;
}

/** Bytes before the data: PDO with data, else HLEN + HDGST. */
function headerSpan(fmt: PduFormat, hlen: number, dataLength: number): number {
  return dataLength > 0 ? dataOffset(fmt, hlen) : hlen + (fmt.hdgst ? DIGEST_SIZE : 0);
}

function writeCommonHeader(
  out: Buffer,
  off: number,
  type: number,
  flags: number,
  hlen: number,
  pdo: number,
  plen: number,
): void {
  out[off + ChOffset.PDU_TYPE] = type;
  out[off + ChOffset.FLAGS] = flags;
  out[off + ChOffset.HLEN] = hlen;
  out[off + ChOffset.PDO] = pdo;
  out.writeUInt32LE(plen, off + ChOffset.PLEN);
}

/** Writes HDGST behind the header when enabled, then zero padding up to `span`; returns `span`. */
function sealHeader(out: Buffer, off: number, fmt: PduFormat, hlen: number, span: number): number {
  let end = off + hlen;
  if (fmt.hdgst) end += writeDigest(out, end, crc32c(out, off, off + hlen));
  if (end < off + span) out.fill(0, end, off + span);
  return span;
}

/** Digest flags of a PDU carrying `dataLength` bytes at PDO (none when 0). */
function dataPduFlags(fmt: PduFormat, dataLength: number): number {
  return (fmt.hdgst ? PduFlag.HDGSTF : 0) | (dataLength > 0 && fmt.ddgst ? PduFlag.DDGSTF : 0);
}

/** PLEN of a PDU whose header spans `span` bytes and carries `dataLength` bytes. */
function dataPduLength(fmt: PduFormat, span: number, dataLength: number): number {
  return dataLength > 0 ? span + dataLength + (fmt.ddgst ? DIGEST_SIZE : 0) : span;
}

/**
 * CapsuleCmd: copies the 64-byte SQE at `sqe[sqeOffset]` unchanged (set its
 * SGL first, see `setCapsuleSgl`). `inCapsuleLength` bytes of in-capsule data
 * follow the returned header; 0 for none.
 * @returns header bytes: PDO when there is in-capsule data, else HLEN + HDGST
 */
export function encodeCapsuleCmd(
  out: Buffer,
  off: number,
  fmt: PduFormat,
  sqe: Buffer,
  sqeOffset: number,
  inCapsuleLength: number,
): number {
  const span = headerSpan(fmt, CAPSULE_CMD_HLEN, inCapsuleLength);
  writeCommonHeader(
    out,
    off,
    PduType.CAPSULE_CMD,
    dataPduFlags(fmt, inCapsuleLength),
    CAPSULE_CMD_HLEN,
    inCapsuleLength > 0 ? span : 0,
    dataPduLength(fmt, span, inCapsuleLength),
  );
  sqe.copy(out, off + PduOffset.SQE, sqeOffset, sqeOffset + SQE_SIZE);
  return sealHeader(out, off, fmt, CAPSULE_CMD_HLEN, span);
}

/**
 * Makes the SQE at `sqe[sqeOffset]` describe its data the NVMe/TCP way: PSDT
 * = SGL, SGL1 = an in-capsule Data Block (offset 0) or a Transport Data Block
 * of `dataLength` bytes. Commands without data get a zero-length Transport
 * Data Block, as Linux sends.
 */
export function setCapsuleSgl(sqe: Buffer, sqeOffset: number, dataLength: number, inCapsule: boolean): void {
  const flags = sqeOffset + SqeOffset.FLAGS;
  sqe[flags] = (sqe[flags]! & 0x3f) | (Psdt.SGL_MPTR_CONTIG << 6);
  if (inCapsule) writeInCapsuleSgl(sqe, sqeOffset + SqeOffset.DPTR, dataLength);
  else writeTransportSgl(sqe, sqeOffset + SqeOffset.DPTR, dataLength);
}

/** CapsuleResp carrying the 16-byte CQE at `cqe[cqeOffset]`. @returns bytes written (HLEN + HDGST) */
export function encodeCapsuleResp(out: Buffer, off: number, fmt: PduFormat, cqe: Buffer, cqeOffset: number): number {
  const span = headerSpan(fmt, CAPSULE_RESP_HLEN, 0);
  writeCommonHeader(out, off, PduType.CAPSULE_RESP, dataPduFlags(fmt, 0), CAPSULE_RESP_HLEN, 0, span);
  cqe.copy(out, off + PduOffset.CQE, cqeOffset, cqeOffset + CQE_SIZE);
  return sealHeader(out, off, fmt, CAPSULE_RESP_HLEN, span);
}

/**
 * CCCID, TTAG, offset and length, then the reserved dword: H2CData, C2HData
 * (DATAO, DATAL) and R2T (R2TO, R2TL) share this layout.
 */
function writeTransferFields(out: Buffer, off: number, cccid: number, ttag: number, offset: number, length: number): void {
  out.writeUInt16LE(cccid, off + PduOffset.CCCID);
  out.writeUInt16LE(ttag, off + PduOffset.TTAG);
  out.writeUInt32LE(offset, off + PduOffset.DATAO);
  out.writeUInt32LE(length, off + PduOffset.DATAL);
  out.fill(0, off + PduOffset.DATAL + 4, off + TRANSFER_HLEN);
}

function encodeDataHeader(
  out: Buffer,
  off: number,
  fmt: PduFormat,
  type: number,
  flags: number,
  cccid: number,
  ttag: number,
  datao: number,
  datal: number,
): number {
  const span = headerSpan(fmt, DATA_HLEN, datal);
  writeCommonHeader(
    out,
    off,
    type,
    dataPduFlags(fmt, datal) | flags,
    DATA_HLEN,
    datal > 0 ? span : 0,
    dataPduLength(fmt, span, datal),
  );
  writeTransferFields(out, off, cccid, ttag, datao, datal);
  return sealHeader(out, off, fmt, DATA_HLEN, span);
}

/**
 * H2CData header for `datal` bytes at offset `datao` of command `cccid`,
 * answering the R2T with transfer tag `ttag`. `last` sets LAST_PDU (the last
 * PDU of that R2T). @returns PDO: the data goes right after
 */
export function encodeH2CData(
  out: Buffer,
  off: number,
  fmt: PduFormat,
  cccid: number,
  ttag: number,
  datao: number,
  datal: number,
  last: boolean,
): number {
  return encodeDataHeader(out, off, fmt, PduType.H2C_DATA, last ? PduFlag.LAST_PDU : 0, cccid, ttag, datao, datal);
}

/**
 * C2HData header for `datal` bytes at offset `datao` of command `cccid`.
 * `last` sets LAST_PDU; `success` (only with `last`) sets SUCCESS, which
 * tells the host the command succeeded and that no CapsuleResp follows.
 * @returns PDO: the data goes right after
 */
export function encodeC2HData(
  out: Buffer,
  off: number,
  fmt: PduFormat,
  cccid: number,
  datao: number,
  datal: number,
  last: boolean,
  success: boolean,
): number {
  if (success && !last) throw new RangeError('C2HData: SUCCESS requires LAST_PDU');
  const flags = (last ? PduFlag.LAST_PDU : 0) | (success ? PduFlag.SUCCESS : 0);
  return encodeDataHeader(out, off, fmt, PduType.C2H_DATA, flags, cccid, 0, datao, datal);
}

/** R2T asking for `r2tl` bytes at offset `r2to` of command `cccid`, tagged `ttag`. @returns bytes written */
export function encodeR2T(
  out: Buffer,
  off: number,
  fmt: PduFormat,
  cccid: number,
  ttag: number,
  r2to: number,
  r2tl: number,
): number {
  const span = headerSpan(fmt, R2T_HLEN, 0);
  writeCommonHeader(out, off, PduType.R2T, dataPduFlags(fmt, 0), R2T_HLEN, 0, span);
  writeTransferFields(out, off, cccid, ttag, r2to, r2tl);
  return sealHeader(out, off, fmt, R2T_HLEN, span);
}

/**
 * The data digest of `data[start, end)`, written little endian at `out[off]`.
 * For data split across buffers, chain `crc32c` and use `writeDigest`.
 * @returns 4
 */
export function encodeDataDigest(out: Buffer, off: number, data: Uint8Array, start: number, end: number): number {
  return writeDigest(out, off, crc32c(data, start, end));
}

/** Fields of an ICReq. */
export interface IcReqInit {
  /** Host PDU Data Alignment the host wants for C2H data (0 = none). */
  hpda?: number;
  /** Request header digests. */
  hdgst: boolean;
  /** Request data digests. */
  ddgst: boolean;
  /** Outstanding R2Ts per command the host accepts, 0's based (0 = one, as Linux sends). */
  maxr2t?: number;
  /** PDU Format Version; defaults to 1.0. */
  pfv?: number;
}

/** Fields of an ICResp. */
export interface IcRespInit {
  /** Controller PDU Data Alignment the controller wants for H2C data (0 = none). */
  cpda?: number;
  /** Header digests enabled. */
  hdgst: boolean;
  /** Data digests enabled. */
  ddgst: boolean;
  /** Largest H2CData data length the controller accepts, in bytes. */
  maxh2cdata: number;
  /** PDU Format Version; defaults to 1.0. */
  pfv?: number;
}

function encodeIc(out: Buffer, off: number, type: number, pfv: number, pda: number, dgst: number, last32: number): number {
  out.fill(0, off, off + IC_PDU_SIZE);
  writeCommonHeader(out, off, type, 0, IC_PDU_SIZE, 0, IC_PDU_SIZE);
  out.writeUInt16LE(pfv, off + PduOffset.PFV);
  out[off + PduOffset.HPDA] = pda;
  out[off + PduOffset.DGST] = dgst;
  out.writeUInt32LE(last32, off + PduOffset.MAXR2T);
  return IC_PDU_SIZE;
}

function icDigestBits(hdgst: boolean, ddgst: boolean): number {
  return (hdgst ? IcDigest.HDGST_ENABLE : 0) | (ddgst ? IcDigest.DDGST_ENABLE : 0);
}

/** ICReq (never carries digests). @returns 128 */
export function encodeIcReq(out: Buffer, off: number, init: IcReqInit): number {
  return encodeIc(
    out,
    off,
    PduType.IC_REQ,
    init.pfv ?? PFV_1_0,
    init.hpda ?? 0,
    icDigestBits(init.hdgst, init.ddgst),
    init.maxr2t ?? 0,
  );
}

/** ICResp (never carries digests). @returns 128 */
export function encodeIcResp(out: Buffer, off: number, init: IcRespInit): number {
  return encodeIc(
    out,
    off,
    PduType.IC_RESP,
    init.pfv ?? PFV_1_0,
    init.cpda ?? 0,
    icDigestBits(init.hdgst, init.ddgst),
    init.maxh2cdata,
  );
}

/**
 * H2CTermReq or C2HTermReq (`type`) reporting `fes`. `fei` is written only
 * for the FES values that define it (Invalid PDU Header Field, Unsupported
 * Parameter) and is zero otherwise. Up to 128 bytes of `offendingHeader`
 * (the header of the PDU in error, e.g. `PduReceiver.offendingHeader`) are
 * copied in as the PDU data. TermReqs never carry digests.
 * @returns bytes written (= PLEN)
 */
export function encodeTermReq(
  out: Buffer,
  off: number,
  type: typeof PduType.H2C_TERM_REQ | typeof PduType.C2H_TERM_REQ,
  fes: number,
  fei: number,
  offendingHeader: Uint8Array,
): number {
  const dataLength = Math.min(offendingHeader.length, TERM_REQ_MAX_DATA);
  const plen = TERM_REQ_HLEN + dataLength;
  out.fill(0, off, off + TERM_REQ_HLEN);
  writeCommonHeader(out, off, type, 0, TERM_REQ_HLEN, 0, plen);
  out.writeUInt16LE(fes, off + PduOffset.FES);
  out.writeUInt32LE(FES_WITH_FEI.has(fes) ? fei >>> 0 : 0, off + PduOffset.FEI);
  out.set(offendingHeader.subarray(0, dataLength), off + TERM_REQ_HLEN);
  return plen;
}
