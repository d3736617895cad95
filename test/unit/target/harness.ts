/**
 * Test harness for the target core: a fake transport that feeds real SQEs
 * (built with the spec codecs) to a TargetQueuePair and records the CQEs,
 * data and terminations the core hands back. No sockets.
 */
import { decodeCqe, type Cqe } from '../../../src/spec/cqe.js';
import {
  CNTLID_DYNAMIC,
  encodeConnectData,
  encodeConnectSqe,
  encodePropertyGetSqe,
  encodePropertySetSqe,
  propertyValueFromCqe,
} from '../../../src/spec/fabrics.js';
import { encodeCommand, encodeReadWrite, GetLogPage, Identify, SetFeatures, GetFeatures } from '../../../src/spec/commands.js';
import { encodeCc, Register } from '../../../src/spec/registers.js';
import { SqeOffset } from '../../../src/spec/sqe.js';
import { writeInCapsuleSgl, writeTransportSgl } from '../../../src/spec/sgl.js';
import { IoOpcode } from '../../../src/spec/opcodes.js';
import type { TargetConnectionInfo, TargetQueuePair } from '../../../src/target/transport/transport.js';
import { NvmfTarget } from '../../../src/target/target.js';
import { MallocBlockDevice } from '../../../src/target/bdev/malloc.js';
import type { Subsystem } from '../../../src/target/subsystem.js';

export const HOSTNQN = 'nqn.2014-08.org.nvmexpress:uuid:6b1f5a3e-2f0e-4a63-9d8e-0c4c2c1b7d10';
export const HOSTID = '6b1f5a3e-2f0e-4a63-9d8e-0c4c2c1b7d10';
export const OTHER_HOSTNQN = 'nqn.2014-08.org.nvmexpress:uuid:00000000-1111-2222-3333-444444444444';
export const SUBNQN = 'nqn.2016-06.io.nvmekit:cnode1';
export const DISCOVERY_NQN = 'nqn.2014-08.org.nvmexpress.discovery';

export function connectionInfo(overrides: Partial<TargetConnectionInfo> = {}): TargetConnectionInfo {
  return {
    trtype: 'TCP',
    adrfam: 'IPv4',
    traddr: '127.0.0.1',
    trsvcid: '4420',
    peerAddress: '127.0.0.1',
    peerPort: 50000,
    inCapsuleDataSize: 4096,
    maxIoSize: 131072,
    maxQueueDepth: 128,
    maxAdminQueueDepth: 32,
    ...overrides,
  };
}

export interface Completion extends Cqe {
  /** Copy of the controller-to-host data, or null. */
  data: Buffer | null;
}

/** The transport side of one queue pair. */
export class HostQueue {
  readonly completions: Completion[] = [];
  readonly terminations: string[] = [];
  private nextCid = 1;

  /** @param assignCids give each SQE that has CID 0 a fresh CID (off to send captured SQEs as they are) */
  constructor(
    readonly qp: TargetQueuePair,
    private readonly assignCids = true,
  ) {
    qp.onTerminate = (reason) => this.terminations.push(reason);
  }

  /** Executes one command; returns its completion, or undefined when it has not completed (AER). */
  send(sqe: Buffer, data: Buffer | null = null): Completion | undefined {
    const before = this.completions.length;
    if (this.assignCids && sqe.readUInt16LE(SqeOffset.CID) === 0) sqe.writeUInt16LE(this.nextCid++ & 0xffff, SqeOffset.CID);
    const cid = sqe.readUInt16LE(SqeOffset.CID);
    this.qp.execute(sqe, data, (cqe, payload) => {
      this.completions.push({ ...decodeCqe(cqe), data: payload ? Buffer.from(payload) : null });
    });
    return this.completions.slice(before).find((c) => c.cid === cid);
  }

  /** Like `send`, but the command must complete at once. */
  run(sqe: Buffer, data: Buffer | null = null): Completion {
    const c = this.send(sqe, data);
    if (!c) throw new Error(`cid ${sqe.readUInt16LE(SqeOffset.CID)} did not complete`);
    return c;
  }
}

/** An SQE whose SGL1 describes `length` bytes moved by the transport (C2H data, or H2C through R2T). */
export function withTransportSgl(sqe: Buffer, length: number): Buffer {
  writeTransportSgl(sqe, SqeOffset.DPTR, length);
  return sqe;
}

/** An SQE whose SGL1 describes `length` bytes of in-capsule data. */
export function withInCapsuleSgl(sqe: Buffer, length: number): Buffer {
  writeInCapsuleSgl(sqe, SqeOffset.DPTR, length);
  return sqe;
}

export function connectSqe(qid: number, sqsize: number, kato = 0, cattr = 0): Buffer {
  return withInCapsuleSgl(encodeConnectSqe(Buffer.alloc(64), { cid: 0, qid, sqsize, kato, cattr }), 1024);
}

export function connectData(subnqn: string, hostnqn = HOSTNQN, cntlid = CNTLID_DYNAMIC): Buffer {
  return encodeConnectData({ hostid: HOSTID, cntlid, subnqn, hostnqn });
}

export function propertyGet(q: HostQueue, offset: number, size: 4 | 8): { status: Completion; value: bigint } {
  const c = q.run(encodePropertyGetSqe(Buffer.alloc(64), { cid: 0, offset, size }));
  return { status: c, value: propertyValueFromCqe(c.cdw0, c.cdw1, size) };
}

export function propertySet(q: HostQueue, offset: number, size: 4 | 8, value: bigint | number): Completion {
  return q.run(encodePropertySetSqe(Buffer.alloc(64), { cid: 0, offset, size, value: BigInt(value) }));
}

/** CC with EN and the queue entry sizes a host writes. */
export const CC_ENABLE = encodeCc({ en: true, iosqes: 6, iocqes: 4 });

export function identifySqe(cns: number, nsid = 0, csi = 0): Buffer {
  return withTransportSgl(encodeCommand(Identify, Buffer.alloc(64), { cns, nsid, csi }), 4096);
}

export function getLogPageSqe(lid: number, numBytes: number, opts: { offset?: number; rae?: boolean; nsid?: number } = {}): Buffer {
  const sqe = encodeCommand(GetLogPage, Buffer.alloc(64), {
    lid,
    numd: numBytes / 4,
    offset: opts.offset ?? 0,
    rae: opts.rae ?? false,
    nsid: opts.nsid ?? 0xffffffff,
  });
  return withTransportSgl(sqe, numBytes);
}

export function setFeaturesSqe(fid: number, cdw11: number, sv = false, nsid = 0): Buffer {
  return encodeCommand(SetFeatures, Buffer.alloc(64), { fid, cdw11, sv, nsid });
}

export function getFeaturesSqe(fid: number, sel = 0, cdw11 = 0, nsid = 0): Buffer {
  return encodeCommand(GetFeatures, Buffer.alloc(64), { fid, sel, cdw11, nsid });
}

/** A Read/Write/Compare/Write Zeroes SQE; reads get a transport SGL of `sglBytes` (default the blocks' size). */
export function blockSqe(opc: number, nsid: number, slba: number, nlb: number, opts: { fua?: boolean; sglBytes?: number; blockSize?: number } = {}): Buffer {
  const sqe = encodeReadWrite(Buffer.alloc(64), { opc, nsid, slba, nlb, fua: opts.fua ?? false });
  const length = opts.sglBytes ?? nlb * (opts.blockSize ?? 512);
  if (opc === IoOpcode.WRITE_ZEROES) return sqe;
  return opc === IoOpcode.READ ? withTransportSgl(sqe, length) : withInCapsuleSgl(sqe, length);
}

/** A target with one subsystem (allow any host unless `hosts` given) backed by a 1 MiB malloc device. */
export function makeTarget(opts: { hosts?: string[]; logs?: string[] } = {}): { target: NvmfTarget; subsystem: Subsystem; bdev: MallocBlockDevice } {
  const target = new NvmfTarget({ log: opts.logs ? (level, msg) => opts.logs!.push(`${level}: ${msg}`) : undefined });
  target.addListener({ trtype: 'TCP', adrfam: 'IPv4', traddr: '127.0.0.1', trsvcid: '4420' });
  const subsystem = target.createSubsystem({
    nqn: SUBNQN,
    serialNumber: 'SN-TEST-0001',
    modelNumber: 'nvmekit test',
    allowAnyHost: opts.hosts === undefined,
    hosts: opts.hosts,
  });
  const bdev = new MallocBlockDevice({ name: 'Malloc0', numBlocks: 2048, blockSize: 512 });
  subsystem.addNamespace(bdev);
  return { target, subsystem, bdev };
}

/** Connects an admin queue and returns it with its CNTLID. */
export function connectAdmin(target: NvmfTarget, subnqn = SUBNQN, opts: { kato?: number; hostnqn?: string; info?: Partial<TargetConnectionInfo> } = {}): { admin: HostQueue; cntlid: number } {
  const admin = new HostQueue(target.createQueuePair(connectionInfo(opts.info)));
  const c = admin.run(connectSqe(0, 31, opts.kato ?? 0), connectData(subnqn, opts.hostnqn));
  if (c.sct !== 0 || c.sc !== 0) throw new Error(`admin Connect failed: ${c.sct}/${c.sc}`);
  return { admin, cntlid: c.cdw0 & 0xffff };
}

/** Connect, enable (CC.EN = 1), as a host brings a controller up. */
export function enableController(target: NvmfTarget, subnqn = SUBNQN, opts: { kato?: number; hostnqn?: string } = {}): { admin: HostQueue; cntlid: number } {
  const r = connectAdmin(target, subnqn, opts);
  const c = propertySet(r.admin, Register.CC, 4, CC_ENABLE);
  if (c.sc !== 0) throw new Error('CC enable failed');
  return r;
}

/** Connects I/O queue `qid` to controller `cntlid`. */
export function connectIo(target: NvmfTarget, cntlid: number, qid = 1, opts: { hostnqn?: string; sqsize?: number } = {}): { io: HostQueue; completion: Completion } {
  const io = new HostQueue(target.createQueuePair(connectionInfo({ peerPort: 50000 + qid })));
  const completion = io.run(connectSqe(qid, opts.sqsize ?? 127), connectData(SUBNQN, opts.hostnqn, cntlid));
  return { io, completion };
}

/** `sct/sc` of a completion, for readable assertions. */
export function statusOf(c: Pick<Cqe, 'sct' | 'sc'>): string {
  return `${c.sct}/0x${c.sc.toString(16).padStart(2, '0')}`;
}

/** The expected `sct/sc` string for a status. */
export function st(sct: number, sc: number): string {
  return statusOf({ sct, sc });
}
