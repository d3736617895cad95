/**
 * Test-only: feeds a captured host-to-controller NVMe/TCP byte stream into a
 * real connection to our target, one command at a time, and records how each
 * command ended. The capture's PDUs go out byte for byte, except where the
 * capture cannot know our target's choices:
 * - an H2CData PDU gets the TTAG of the R2T our target sent for its command
 *   (and a recomputed header digest);
 * - an I/O queue's Connect data gets the CNTLID our target gave the admin
 *   queue (and a recomputed data digest).
 */
import { expect } from 'vitest';
import { ConnectDataOffset, FabricsCommandType, FabricsSqeOffset } from '../../../src/spec/fabrics.js';
import { FABRICS_OPCODE } from '../../../src/spec/opcodes.js';
import { SqeOffset } from '../../../src/spec/sqe.js';
import { PduFlag, PduOffset, PduType, crc32c, writeDigest } from '../../../src/spec/tcp/index.js';
import { RawHost, type ReceivedPdu } from './raw-host.js';

export const ASYNC_EVENT_REQUEST = 0x0c;
const CC_SHN_MASK = 0x3 << 14;

export interface CapturedPdu {
  type: number;
  bytes: Buffer;
}

/** What one replayed command ended with on our target. */
export interface Outcome {
  opc: number;
  cid: number;
  /** `sct/0xsc`, or `pending`. */
  status: string;
  cdw0: number;
  /** Controller-to-host data. */
  data: Buffer;
  sqe: Buffer;
}

/** Splits a stream at PDU boundaries (PLEN of each common header; the capture is trusted). */
export function splitPdus(stream: Buffer): CapturedPdu[] {
  const out: CapturedPdu[] = [];
  for (let off = 0; off < stream.length; ) {
    const plen = stream.readUInt32LE(off + 4);
    out.push({ type: stream[off]!, bytes: stream.subarray(off, off + plen) });
    off += plen;
  }
  return out;
}

/** A Property Set of CC that asks for a shutdown (CC.SHN), the end of an association. */
export function isShutdown(p: CapturedPdu): boolean {
  if (p.type !== PduType.CAPSULE_CMD) return false;
  const sqe = p.bytes.subarray(PduOffset.SQE);
  return (
    sqe[SqeOffset.OPC] === FABRICS_OPCODE &&
    sqe[FabricsSqeOffset.FCTYPE] === FabricsCommandType.PROPERTY_SET &&
    (sqe.readUInt32LE(FabricsSqeOffset.VALUE) & CC_SHN_MASK) !== 0
  );
}

export class Replay {
  readonly outcomes: Outcome[] = [];
  /** Commands in flight by CID, latest last: SPDK's host reuses the CIDs of AERs it gave up at shutdown. */
  private readonly open = new Map<number, Outcome[]>();
  private readonly r2ts = new Map<number, ReceivedPdu>();

  private constructor(
    readonly host: RawHost,
    private readonly pdus: CapturedPdu[],
    /** The CNTLID to put in an I/O queue's Connect data. */
    private readonly cntlid: number | undefined,
  ) {}

  static async open(port: number, stream: Buffer, cntlid?: number): Promise<Replay> {
    return new Replay(await RawHost.connect(port), splitPdus(stream), cntlid);
  }

  /** Index of the first PDU for which `pred` holds, or the stream's length. */
  indexOf(pred: (p: CapturedPdu) => boolean): number {
    const i = this.pdus.findIndex(pred);
    return i < 0 ? this.pdus.length : i;
  }

  /** Sends PDUs `[from, to)`, each command once the previous one completed (or got its R2T). */
  async run(from = 0, to = this.pdus.length): Promise<void> {
    for (const pdu of this.pdus.slice(from, to)) await this.send(pdu);
  }

  /** Waits for every command still open but AERs (they complete only when the controller goes). */
  async drain(): Promise<void> {
    while ([...this.open.values()].flat().some((o) => o.opc !== ASYNC_EVENT_REQUEST)) await this.receive();
  }

  private async send(pdu: CapturedPdu): Promise<void> {
    switch (pdu.type) {
      case PduType.IC_REQ: {
        this.host.write(pdu.bytes);
        expect((await this.host.next()).type).toBe(PduType.IC_RESP);
        return;
      }
      case PduType.CAPSULE_CMD: {
        const sqe = Buffer.from(pdu.bytes.subarray(PduOffset.SQE, PduOffset.SQE + 64));
        const o: Outcome = { opc: sqe[SqeOffset.OPC]!, cid: sqe.readUInt16LE(SqeOffset.CID), status: 'pending', cdw0: 0, data: Buffer.alloc(0), sqe };
        this.open.set(o.cid, [...(this.open.get(o.cid) ?? []), o]);
        this.outcomes.push(o);
        this.host.write(this.withOurCntlid(pdu.bytes, sqe));
        if (o.opc !== ASYNC_EVENT_REQUEST) await this.settle(o);
        return;
      }
      case PduType.H2C_DATA: {
        const cccid = pdu.bytes.readUInt16LE(PduOffset.CCCID);
        const r2t = this.r2ts.get(cccid);
        if (!r2t) throw new Error(`captured H2CData for cid ${cccid}, but our target sent no R2T for it`);
        this.r2ts.delete(cccid);
        const patched = Buffer.from(pdu.bytes);
        patched.writeUInt16LE(r2t.ttag, PduOffset.TTAG);
        if (patched[1]! & PduFlag.HDGSTF) writeDigest(patched, 24, crc32c(patched, 0, 24));
        this.host.write(patched);
        await this.settle(this.open.get(cccid)!.at(-1)!);
        return;
      }
      default:
        throw new Error(`unexpected PDU type ${pdu.type} in a host-to-controller stream`);
    }
  }

  private withOurCntlid(bytes: Buffer, sqe: Buffer): Buffer {
    const isIoConnect =
      sqe[SqeOffset.OPC] === FABRICS_OPCODE &&
      sqe[FabricsSqeOffset.FCTYPE] === FabricsCommandType.CONNECT &&
      sqe.readUInt16LE(FabricsSqeOffset.QID) !== 0;
    if (!isIoConnect || this.cntlid === undefined) return bytes;
    const patched = Buffer.from(bytes);
    const pdo = patched[3]!;
    patched.writeUInt16LE(this.cntlid, pdo + ConnectDataOffset.CNTLID);
    if (patched[1]! & PduFlag.DDGSTF) writeDigest(patched, patched.length - 4, crc32c(patched, pdo, patched.length - 4));
    return patched;
  }

  /** Receives until `o` completed or got an R2T. */
  private async settle(o: Outcome): Promise<void> {
    while (o.status === 'pending' && !this.r2ts.has(o.cid)) await this.receive();
  }

  private async receive(): Promise<void> {
    const p = await this.host.next();
    if (p.type === PduType.R2T) {
      this.r2ts.set(p.cccid, p);
      return;
    }
    const cid = p.type === PduType.CAPSULE_RESP ? p.cqe!.cid : p.cccid;
    const o = this.open.get(cid)?.at(-1);
    if (!o) throw new Error(`PDU type ${p.type} for cid ${cid}, which is not in flight`);
    if (p.type === PduType.C2H_DATA) {
      const end = p.datao + p.datal;
      if (o.data.length < end) o.data = Buffer.concat([o.data, Buffer.alloc(end - o.data.length)]);
      p.data!.copy(o.data, p.datao);
      if ((p.flags & PduFlag.SUCCESS) === 0) return;
      o.status = '0/0x00';
    } else if (p.type === PduType.CAPSULE_RESP) {
      o.status = `${p.cqe!.sct}/0x${p.cqe!.sc.toString(16).padStart(2, '0')}`;
      o.cdw0 = p.cqe!.cdw0;
    } else {
      throw new Error(`unexpected PDU type ${p.type}`);
    }
    this.open.get(cid)!.pop();
  }
}

/** One line per command that did not succeed, for an assertion that lists them all. */
export function failures(outcomes: Outcome[], expected: (o: Outcome) => boolean = () => false): string[] {
  return outcomes
    .filter((o) => o.status !== '0/0x00' && o.opc !== ASYNC_EVENT_REQUEST && !expected(o))
    .map((o) => `opc 0x${o.opc.toString(16)} cid ${o.cid} cdw10 0x${o.sqe.readUInt32LE(SqeOffset.CDW10).toString(16)}: ${o.status}`);
}
