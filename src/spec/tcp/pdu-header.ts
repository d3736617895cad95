/**
 * A typed view over one NVMe/TCP PDU header in a buffer: getters read the
 * fields in place, so one view serves every PDU that passes through the same
 * buffer (the receiver's header buffer) without an object per PDU.
 */
import { SQE_SIZE } from '../sqe.js';
import { CQE_SIZE } from '../cqe.js';
import { ChOffset, DIGEST_SIZE, PduFlag, PduOffset, PDU_TYPES, pduTypeName } from './pdu-types.js';

export class PduHeader {
  /** The 64-byte SQE of a CapsuleCmd, as a view (meaningful only for CapsuleCmd). */
  readonly sqe: Buffer;
  /** The 16-byte CQE of a CapsuleResp, as a view (meaningful only for CapsuleResp). */
  readonly cqe: Buffer;

  /**
   * @param buffer holds the header at `offset`
   * @param offset where the PDU starts
   */
  constructor(
    readonly buffer: Buffer,
    readonly offset = 0,
  ) {
    this.sqe = buffer.subarray(offset + PduOffset.SQE, offset + PduOffset.SQE + SQE_SIZE);
    this.cqe = buffer.subarray(offset + PduOffset.CQE, offset + PduOffset.CQE + CQE_SIZE);
  }

  private u8(at: number): number {
    return this.buffer[this.offset + at]!;
  }
  private u16(at: number): number {
    return this.buffer.readUInt16LE(this.offset + at);
  }
  private u32(at: number): number {
    return this.buffer.readUInt32LE(this.offset + at);
  }

  /** PDU-Type (`PduType`). */
  get type(): number {
    return this.u8(ChOffset.PDU_TYPE);
  }
  /** The spec name of the PDU type (`CapsuleCmd`...). */
  get typeName(): string {
    return pduTypeName(this.type);
  }
  /** FLAGS (`PduFlag` bits). */
  get flags(): number {
    return this.u8(ChOffset.FLAGS);
  }
  get hlen(): number {
    return this.u8(ChOffset.HLEN);
  }
  /** PDU Data Offset: where the data starts, from the start of the PDU (0 without data). */
  get pdo(): number {
    return this.u8(ChOffset.PDO);
  }
  /** PDU Length: header, digests, padding and data. */
  get plen(): number {
    return this.u32(ChOffset.PLEN);
  }
  get hasHeaderDigest(): boolean {
    return (this.flags & PduFlag.HDGSTF) !== 0;
  }
  get hasDataDigest(): boolean {
    return (this.flags & PduFlag.DDGSTF) !== 0;
  }
  /** H2CData / C2HData: LAST_PDU. */
  get last(): boolean {
    return (this.flags & PduFlag.LAST_PDU) !== 0;
  }
  /** C2HData: SUCCESS (the command completed successfully; no CapsuleResp follows). */
  get success(): boolean {
    return (this.flags & PduFlag.SUCCESS) !== 0;
  }
  /** The header digest as received (valid when `hasHeaderDigest`). */
  get headerDigest(): number {
    return this.u32(this.hlen);
  }

  /**
   * Bytes of data this PDU carries, from PLEN and PDO: in-capsule data for a
   * CapsuleCmd, DATAL for H2CData / C2HData, the offending header for a TermReq.
   */
  get dataLength(): number {
    const kind = PDU_TYPES[this.type]?.data;
    if (kind === 'term') return this.plen - this.hlen;
    if (kind !== 'data' || this.pdo === 0) return 0;
    return this.plen - this.pdo - (this.hasDataDigest ? DIGEST_SIZE : 0);
  }
  /** Where the data starts from the start of the PDU: PDO, or HLEN for a TermReq. */
  get dataOffset(): number {
    return PDU_TYPES[this.type]?.data === 'term' ? this.hlen : this.pdo;
  }

  /** H2CData / C2HData / R2T: Command Capsule CID. */
  get cccid(): number {
    return this.u16(PduOffset.CCCID);
  }
  /** H2CData / R2T: Transfer Tag. */
  get ttag(): number {
    return this.u16(PduOffset.TTAG);
  }
  /** H2CData / C2HData: offset of this PDU's data within the command's data. */
  get datao(): number {
    return this.u32(PduOffset.DATAO);
  }
  /** H2CData / C2HData: data length of this PDU. */
  get datal(): number {
    return this.u32(PduOffset.DATAL);
  }
  /** R2T: requested offset. */
  get r2to(): number {
    return this.u32(PduOffset.R2TO);
  }
  /** R2T: requested length. */
  get r2tl(): number {
    return this.u32(PduOffset.R2TL);
  }
  /** TermReq: Fatal Error Status (`Fes`). */
  get fes(): number {
    return this.u16(PduOffset.FES);
  }
  /** TermReq: Fatal Error Information. */
  get fei(): number {
    return this.u32(PduOffset.FEI);
  }
  /** ICReq / ICResp: PDU Format Version. */
  get pfv(): number {
    return this.u16(PduOffset.PFV);
  }
  /** ICReq: Host PDU Data Alignment. */
  get hpda(): number {
    return this.u8(PduOffset.HPDA);
  }
  /** ICResp: Controller PDU Data Alignment. */
  get cpda(): number {
    return this.u8(PduOffset.CPDA);
  }
  /** ICReq / ICResp: digest bits (`IcDigest`). */
  get dgst(): number {
    return this.u8(PduOffset.DGST);
  }
  /** ICReq: maximum outstanding R2Ts per command, 0's based. */
  get maxr2t(): number {
    return this.u32(PduOffset.MAXR2T);
  }
  /** ICResp: maximum H2CData data length. */
  get maxh2cdata(): number {
    return this.u32(PduOffset.MAXH2CDATA);
  }
}
