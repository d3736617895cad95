/**
 * Test-only NVMe/TCP host on a raw net.Socket: sends hand-built PDUs (the
 * spec/tcp encoders) and records every PDU the target answers with, parsed by
 * the spec/tcp receiver in its host role (which also checks digests, HPDA
 * alignment and PDU framing of what our target sends).
 */
import { connect, type Socket } from 'node:net';
import { decodeCqe, type Cqe } from '../../../src/spec/cqe.js';
import { CNTLID_DYNAMIC, encodeConnectData, encodeConnectSqe, encodePropertySetSqe } from '../../../src/spec/fabrics.js';
import { encodeReadWrite } from '../../../src/spec/commands.js';
import { encodeCc, Register } from '../../../src/spec/registers.js';
import { IoOpcode } from '../../../src/spec/opcodes.js';
import { SqeOffset } from '../../../src/spec/sqe.js';
import {
  PduReceiver,
  PduType,
  encodeCapsuleCmd,
  encodeDataDigest,
  encodeH2CData,
  encodeIcReq,
  pduFormat,
  setCapsuleSgl,
  type PduFormat,
  type PduHeader,
} from '../../../src/spec/tcp/index.js';

export const HOSTNQN = 'nqn.2014-08.org.nvmexpress:uuid:6b1f5a3e-2f0e-4a63-9d8e-0c4c2c1b7d10';
export const HOSTID = '6b1f5a3e-2f0e-4a63-9d8e-0c4c2c1b7d10';
export const SUBNQN = 'nqn.2016-06.io.nvmekit:cnode1';

/** A PDU the target sent, with the fields of its type copied out. */
export interface ReceivedPdu {
  type: number;
  flags: number;
  hlen: number;
  pdo: number;
  plen: number;
  cccid: number;
  ttag: number;
  datao: number;
  datal: number;
  r2to: number;
  r2tl: number;
  fes: number;
  fei: number;
  pfv: number;
  cpda: number;
  dgst: number;
  maxh2cdata: number;
  cqe: Cqe | null;
  /** C2HData payload or the header a TermReq quotes (a copy), else null. */
  data: Buffer | null;
}

/** What a command ended with. */
export interface CommandResult {
  /** The CapsuleResp's CQE, or null when the last C2HData carried SUCCESS. */
  cqe: Cqe | null;
  /** `sct/sc` as hex, `0/0x00` for success (also for SUCCESS-flag completions). */
  status: string;
  /** Controller-to-host data gathered from C2HData PDUs. */
  data: Buffer;
  /** Every PDU of this command, in order. */
  pdus: ReceivedPdu[];
}

function snapshot(hdr: PduHeader, data: Buffer | null): ReceivedPdu {
  const t = hdr.type;
  const isData = t === PduType.C2H_DATA || t === PduType.R2T;
  const isTerm = t === PduType.C2H_TERM_REQ;
  const isIc = t === PduType.IC_RESP;
  return {
    type: t,
    flags: hdr.flags,
    hlen: hdr.hlen,
    pdo: hdr.pdo,
    plen: hdr.plen,
    cccid: isData ? hdr.cccid : -1,
    ttag: t === PduType.R2T ? hdr.ttag : -1,
    datao: t === PduType.C2H_DATA ? hdr.datao : -1,
    datal: t === PduType.C2H_DATA ? hdr.datal : -1,
    r2to: t === PduType.R2T ? hdr.r2to : -1,
    r2tl: t === PduType.R2T ? hdr.r2tl : -1,
    fes: isTerm ? hdr.fes : -1,
    fei: isTerm ? hdr.fei : -1,
    pfv: isIc ? hdr.pfv : -1,
    cpda: isIc ? hdr.cpda : -1,
    dgst: isIc ? hdr.dgst : -1,
    maxh2cdata: isIc ? hdr.maxh2cdata : -1,
    cqe: t === PduType.CAPSULE_RESP ? decodeCqe(hdr.cqe) : null,
    data: data === null ? null : Buffer.from(data),
  };
}

export interface IcOptions {
  hdgst?: boolean;
  ddgst?: boolean;
  hpda?: number;
}

export class RawHost {
  readonly received: ReceivedPdu[] = [];
  /** Set when the host-side receiver rejected what the target sent. */
  protocolError: Error | null = null;
  /** Resolves when the target closed (FIN or reset) or the socket failed. */
  readonly ended: Promise<void>;
  fmt: PduFormat = pduFormat(false, false);
  private readonly rx: PduReceiver;
  private waiter: (() => void) | null = null;
  private isEnded = false;
  private nextCid = 1;

  private constructor(
    readonly socket: Socket,
    hpda: number,
  ) {
    this.rx = new PduReceiver({
      role: 'host',
      pda: hpda,
      maxDataLength: 16 * 1024 * 1024,
      handler: {
        onPdu: (hdr, data) => {
          if (hdr.type === PduType.IC_RESP) this.rx.setDigests((hdr.dgst & 1) !== 0, (hdr.dgst & 2) !== 0);
          this.received.push(snapshot(hdr, data));
          this.wake();
        },
        onError: (err) => {
          this.protocolError = err;
          this.wake();
        },
      },
    });
    socket.on('data', (chunk: Buffer) => this.rx.push(chunk));
    this.ended = new Promise((resolve) => {
      const done = (): void => {
        this.isEnded = true;
        this.wake();
        resolve();
      };
      socket.on('end', done);
      socket.on('close', done);
      socket.on('error', done);
    });
  }

  /** Connects without sending anything; `hpda` is the alignment the receiver will demand of C2HData. */
  static async connect(port: number, host = '127.0.0.1', hpda = 0): Promise<RawHost> {
    const socket = connect({ port, host });
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('error', reject);
    });
    return new RawHost(socket, hpda);
  }

  /** Connects and exchanges ICReq/ICResp. */
  static async start(port: number, ic: IcOptions = {}, host = '127.0.0.1'): Promise<RawHost> {
    const h = await RawHost.connect(port, host, ic.hpda ?? 0);
    await h.initialize(ic);
    return h;
  }

  get closed(): boolean {
    return this.isEnded;
  }

  write(bytes: Buffer): void {
    this.socket.write(bytes);
  }

  /** Sends an ICReq and returns the ICResp. */
  async initialize(ic: IcOptions = {}): Promise<ReceivedPdu> {
    const hdgst = ic.hdgst ?? false;
    const ddgst = ic.ddgst ?? false;
    const out = Buffer.alloc(128);
    encodeIcReq(out, 0, { hdgst, ddgst, hpda: ic.hpda ?? 0 });
    this.write(out);
    const resp = await this.next();
    if (resp.type !== PduType.IC_RESP) throw new Error(`expected ICResp, got type ${resp.type}`);
    this.fmt = pduFormat((resp.dgst & 1) !== 0, (resp.dgst & 2) !== 0);
    return resp;
  }

  /** The next PDU from the target; rejects when the connection ends or the target's bytes are malformed. */
  async next(): Promise<ReceivedPdu> {
    for (;;) {
      const pdu = this.received.shift();
      if (pdu) return pdu;
      if (this.protocolError) throw this.protocolError;
      if (this.isEnded) throw new Error('connection closed by the target');
      await new Promise<void>((resolve) => (this.waiter = resolve));
    }
  }

  /** A fresh CID. */
  cid(): number {
    const cid = this.nextCid;
    this.nextCid = (this.nextCid + 1) & 0xffff || 1;
    return cid;
  }

  /**
   * Builds a CapsuleCmd for `sqe` (its SGL set here) with optional in-capsule
   * data; `corruptDataDigest` flips the data digest.
   */
  capsule(sqe: Buffer, opts: { inCapsule?: Buffer; transportLength?: number; corruptDataDigest?: boolean } = {}): Buffer {
    const data = opts.inCapsule;
    if (data) setCapsuleSgl(sqe, 0, data.length, true);
    else setCapsuleSgl(sqe, 0, opts.transportLength ?? 0, false);
    const n = data?.length ?? 0;
    const out = Buffer.alloc(256 + n);
    let len = encodeCapsuleCmd(out, 0, this.fmt, sqe, 0, n);
    if (data) {
      data.copy(out, len);
      len += n;
      if (this.fmt.ddgst) {
        encodeDataDigest(out, len, data, 0, n);
        if (opts.corruptDataDigest) out[len] ^= 0xff;
        len += 4;
      }
    }
    return out.subarray(0, len);
  }

  /** Builds an H2CData PDU carrying `data`. */
  h2cData(cccid: number, ttag: number, datao: number, data: Buffer, last: boolean, corruptDataDigest = false): Buffer {
    const out = Buffer.alloc(256 + data.length);
    let len = encodeH2CData(out, 0, this.fmt, cccid, ttag, datao, data.length, last);
    data.copy(out, len);
    len += data.length;
    if (this.fmt.ddgst) {
      encodeDataDigest(out, len, data, 0, data.length);
      if (corruptDataDigest) out[len] ^= 0xff;
      len += 4;
    }
    return out.subarray(0, len);
  }

  /**
   * Sends a command and waits for its completion. Writes go in-capsule when
   * `inCapsule`, else through R2T: every R2T is answered with H2CData PDUs of
   * at most `h2cChunk` bytes.
   */
  async run(
    sqe: Buffer,
    opts: { write?: Buffer; inCapsule?: boolean; readLength?: number; h2cChunk?: number } = {},
  ): Promise<CommandResult> {
    if (sqe.readUInt16LE(SqeOffset.CID) === 0) sqe.writeUInt16LE(this.cid(), SqeOffset.CID);
    const cid = sqe.readUInt16LE(SqeOffset.CID);
    const write = opts.write;
    if (write && opts.inCapsule) this.write(this.capsule(sqe, { inCapsule: write }));
    else this.write(this.capsule(sqe, { transportLength: write?.length ?? opts.readLength ?? 0 }));
    return this.completion(cid, write, opts.h2cChunk);
  }

  /** Waits for command `cid` to complete, answering R2Ts from `write`. */
  async completion(cid: number, write?: Buffer, h2cChunk = 1 << 30): Promise<CommandResult> {
    const pdus: ReceivedPdu[] = [];
    let data = Buffer.alloc(0);
    for (;;) {
      const pdu = await this.next();
      pdus.push(pdu);
      if (pdu.type === PduType.R2T && pdu.cccid === cid) {
        if (!write) throw new Error(`R2T for cid ${cid}, which has no write data`);
        const end = pdu.r2to + pdu.r2tl;
        for (let off = pdu.r2to; off < end; off += h2cChunk) {
          const to = Math.min(off + h2cChunk, end);
          this.write(this.h2cData(cid, pdu.ttag, off, write.subarray(off, to), to === end));
        }
      } else if (pdu.type === PduType.C2H_DATA && pdu.cccid === cid) {
        const end = pdu.datao + pdu.datal;
        if (data.length < end) data = Buffer.concat([data, Buffer.alloc(end - data.length)]);
        pdu.data!.copy(data, pdu.datao);
        if (pdu.flags & 0x08) return { cqe: null, status: '0/0x00', data, pdus };
      } else if (pdu.type === PduType.CAPSULE_RESP && pdu.cqe!.cid === cid) {
        return { cqe: pdu.cqe, status: `${pdu.cqe!.sct}/0x${pdu.cqe!.sc.toString(16).padStart(2, '0')}`, data, pdus };
      } else {
        throw new Error(`unexpected PDU type ${pdu.type} while waiting for cid ${cid}`);
      }
    }
  }

  /** Fabrics Connect on this connection; returns the completion (CNTLID in dword 0). */
  connectQueue(qid: number, cntlid = CNTLID_DYNAMIC, subnqn = SUBNQN, sqsize = 31): Promise<CommandResult> {
    const sqe = encodeConnectSqe(Buffer.alloc(64), { cid: this.cid(), qid, sqsize, kato: qid === 0 ? 30000 : 0 });
    const data = encodeConnectData({ hostid: HOSTID, cntlid, subnqn, hostnqn: HOSTNQN });
    return this.run(sqe, { write: data, inCapsule: true });
  }

  /** CC.EN = 1 through Property Set. */
  enable(): Promise<CommandResult> {
    const value = BigInt(encodeCc({ en: true, iosqes: 6, iocqes: 4 }));
    return this.run(encodePropertySetSqe(Buffer.alloc(64), { cid: this.cid(), offset: Register.CC, size: 4, value }));
  }

  /** A Read or Write SQE of `nlb` blocks at `slba`. */
  static ioSqe(opc: typeof IoOpcode.READ | typeof IoOpcode.WRITE, nsid: number, slba: number, nlb: number): Buffer {
    return encodeReadWrite(Buffer.alloc(64), { opc, nsid, slba, nlb });
  }

  close(): void {
    this.socket.destroy();
  }

  private wake(): void {
    const w = this.waiter;
    this.waiter = null;
    w?.();
  }
}

/**
 * An admin connection on a new controller (Connect, CC.EN) and an I/O
 * connection (QID 1) on it, both with SQSIZE `sqsize`: what every data test starts from.
 */
export async function openController(
  port: number,
  ic: IcOptions = {},
  sqsize = 31,
): Promise<{ admin: RawHost; io: RawHost; cntlid: number }> {
  const admin = await RawHost.start(port, ic);
  const c = await admin.connectQueue(0, undefined, SUBNQN, sqsize);
  if (c.status !== '0/0x00') throw new Error(`admin Connect failed: ${c.status}`);
  const cntlid = c.cqe!.cdw0 & 0xffff;
  const e = await admin.enable();
  if (e.status !== '0/0x00') throw new Error(`CC.EN failed: ${e.status}`);
  const io = await RawHost.start(port, ic);
  const ioc = await io.connectQueue(1, cntlid, SUBNQN, sqsize);
  if (ioc.status !== '0/0x00') throw new Error(`I/O Connect failed: ${ioc.status}`);
  return { admin, io, cntlid };
}
