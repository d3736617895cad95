/**
 * Test-only: pulls admin command payloads out of the captured NVMe/TCP byte
 * streams in shared/vectors, so spec codecs can be checked against real bytes
 * without depending on the production PDU receiver. It walks PDUs by the
 * 8-byte common header only and ignores digests (it trusts the capture).
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { decodeCqe, type Cqe } from '../../src/spec/cqe.js';
import { decodeSqe, type Sqe } from '../../src/spec/sqe.js';

/** `<repo>/../shared/vectors/`, resolved from this file. */
export const VECTORS_DIR = fileURLToPath(new URL('../../../shared/vectors/', import.meta.url));

/** Reads a file under shared/vectors. */
export function readVector(relPath: string): Buffer {
  return readFileSync(VECTORS_DIR + relPath);
}

const PduType = { CAPSULE_CMD: 4, CAPSULE_RESP: 5, C2H_DATA: 7 } as const;
const C2H_DATA_FLAG_SUCCESS = 0x08;

interface Pdu {
  type: number;
  flags: number;
  hlen: number;
  pdo: number;
  bytes: Buffer;
}

function* walkPdus(stream: Buffer): Generator<Pdu> {
  let off = 0;
  while (off + 8 <= stream.length) {
    const plen = stream.readUInt32LE(off + 4);
    yield {
      type: stream[off]!,
      flags: stream[off + 1]!,
      hlen: stream[off + 2]!,
      pdo: stream[off + 3]!,
      bytes: stream.subarray(off, off + plen),
    };
    off += plen;
  }
}

/** One admin or I/O command from the capture with the data and completion the controller returned. */
export interface CapturedCommand {
  sqe: Sqe;
  /** Controller-to-host data, placed at each C2HData's DATAO. */
  data: Buffer;
  /** The CapsuleResp CQE; undefined when the last C2HData carried SUCCESS instead (SPDK). */
  cqe?: Cqe;
}

/**
 * Pairs each CapsuleCmd of `hostToCtrl` with the C2HData of `ctrlToHost` that
 * answered it. A CID is in flight until its CapsuleResp (or a C2HData with
 * SUCCESS), so commands are matched per CID in stream order.
 */
export function capturedCommands(hostToCtrl: Buffer, ctrlToHost: Buffer): CapturedCommand[] {
  const pending = new Map<number, CapturedCommand[]>();
  const all: CapturedCommand[] = [];
  for (const pdu of walkPdus(hostToCtrl)) {
    if (pdu.type !== PduType.CAPSULE_CMD) continue;
    const cmd: CapturedCommand = { sqe: decodeSqe(pdu.bytes, 8), data: Buffer.alloc(0) };
    all.push(cmd);
    const queue = pending.get(cmd.sqe.cid) ?? [];
    queue.push(cmd);
    pending.set(cmd.sqe.cid, queue);
  }
  for (const pdu of walkPdus(ctrlToHost)) {
    if (pdu.type === PduType.C2H_DATA) {
      const cid = pdu.bytes.readUInt16LE(8);
      const datao = pdu.bytes.readUInt32LE(12);
      const datal = pdu.bytes.readUInt32LE(16);
      const cmd = pending.get(cid)?.[0];
      if (!cmd) throw new Error(`C2HData for cid ${cid} with no command in flight`);
      const end = datao + datal;
      if (cmd.data.length < end) {
        const grown = Buffer.alloc(end);
        cmd.data.copy(grown);
        cmd.data = grown;
      }
      pdu.bytes.copy(cmd.data, datao, pdu.pdo, pdu.pdo + datal);
      if (pdu.flags & C2H_DATA_FLAG_SUCCESS) pending.get(cid)!.shift();
    } else if (pdu.type === PduType.CAPSULE_RESP) {
      const cqe = decodeCqe(pdu.bytes, 8);
      const cmd = pending.get(cqe.cid)?.shift();
      if (cmd) cmd.cqe = cqe;
    }
  }
  return all;
}

/** Loads both streams of `nvme-tcp/<name>.conn<conn>` and pairs commands with their data. */
export function loadCapturedCommands(name: string, conn: number): CapturedCommand[] {
  const base = `nvme-tcp/${name}.conn${conn}`;
  return capturedCommands(readVector(`${base}.host-to-ctrl.bin`), readVector(`${base}.ctrl-to-host.bin`));
}

const ADMIN_IDENTIFY = 0x06;
const ADMIN_GET_LOG_PAGE = 0x02;
const ADMIN_GET_FEATURES = 0x0a;
const FABRICS = 0x7f;
const FCTYPE_PROPERTY_GET = 0x04;

/** Identify commands with the given CNS (and NSID when given) that returned data. */
export function identifyPayloads(cmds: CapturedCommand[], cns: number, nsid?: number): CapturedCommand[] {
  return cmds.filter(
    (c) =>
      c.sqe.opc === ADMIN_IDENTIFY &&
      (c.sqe.cdw10 & 0xff) === cns &&
      (nsid === undefined || c.sqe.nsid === nsid) &&
      c.data.length > 0,
  );
}

/** Get Log Page commands for the given LID that returned data. */
export function logPagePayloads(cmds: CapturedCommand[], lid: number): CapturedCommand[] {
  return cmds.filter((c) => c.sqe.opc === ADMIN_GET_LOG_PAGE && (c.sqe.cdw10 & 0xff) === lid && c.data.length > 0);
}

/** Completion dword 0 of the last successful Get Features for `fid` (and `nsid`, when given). */
export function getFeaturesResult(cmds: CapturedCommand[], fid: number, nsid?: number): number | undefined {
  const hits = cmds.filter(
    (c) =>
      c.sqe.opc === ADMIN_GET_FEATURES &&
      (c.sqe.cdw10 & 0xff) === fid &&
      (nsid === undefined || c.sqe.nsid === nsid) &&
      c.cqe !== undefined &&
      c.cqe.sc === 0 &&
      c.cqe.sct === 0,
  );
  return hits.at(-1)?.cqe?.cdw0;
}

/** Value of the last Property Get of register `offset` (FCTYPE in SQE byte 4, OFST in CDW11). */
export function propertyGetResult(cmds: CapturedCommand[], offset: number): bigint | undefined {
  const hit = cmds
    .filter((c) => c.sqe.opc === FABRICS && (c.sqe.nsid & 0xff) === FCTYPE_PROPERTY_GET && c.sqe.cdw11 === offset && c.cqe)
    .at(-1);
  return hit?.cqe ? (BigInt(hit.cqe.cdw1 >>> 0) << 32n) | BigInt(hit.cqe.cdw0 >>> 0) : undefined;
}
