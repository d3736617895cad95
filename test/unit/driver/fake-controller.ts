/**
 * An in-memory NVMe-oF controller behind the host transport contract, for
 * unit-testing the driver alone. It answers with real encodings built by the
 * spec codecs: Connect, Property Get/Set, Identify, Get Log Page, Get/Set
 * Features, Keep Alive, AER, Abort, and block I/O on RAM namespaces.
 *
 * Completions are delivered from a microtask, like a transport would from its
 * socket callback. Tests can hold commands (`hold`) and release them later.
 */
import {
  Abort,
  AsyncEventRequest,
  decodeCommand,
  decodeReadWrite,
  GetFeatures,
  GetLogPage,
  Identify,
  SetFeatures,
} from '../../../src/spec/commands.js';
import { encodeCqe, type CqeStatus } from '../../../src/spec/cqe.js';
import { buildDiscoveryLog, DISCOVERY_LOG_HEADER_SIZE, type DiscoveryLogEntry } from '../../../src/spec/discovery-log.js';
import {
  CNTLID_DYNAMIC,
  connectInvalidParameterCdw0,
  decodeConnectData,
  decodeFabricsSqe,
  encodeConnectResponse,
  FabricsCommandStatus,
  FabricsCommandType,
  propertyValueToCqe,
  type DecodedConnectData,
} from '../../../src/spec/fabrics.js';
import { decodeFeature, encodeFeature, FeatureId, KeepAliveTimer, NumberOfQueues } from '../../../src/spec/features.js';
import { Cns, IDENTIFY_DATA_SIZE } from '../../../src/spec/identify.js';
import { buildIdentifyController, defaultIdentifyController, type IdentifyController } from '../../../src/spec/identify-controller.js';
import { buildIdentifyNamespace, defaultIdentifyNamespace, type IdentifyNamespace } from '../../../src/spec/identify-namespace.js';
import { buildChangedNamespaceList, LogPageId } from '../../../src/spec/log-pages.js';
import { buildActiveNamespaceList, buildNamespaceIds, type NamespaceIds } from '../../../src/spec/namespace-lists.js';
import { AdminOpcode, FABRICS_OPCODE, IoOpcode } from '../../../src/spec/opcodes.js';
import {
  CapCss,
  decodeCc,
  encodeCap,
  encodeCsts,
  encodeVs,
  Register,
  ShutdownNotification,
  ShutdownStatus,
} from '../../../src/spec/registers.js';
import { SqeOffset } from '../../../src/spec/sqe.js';
import { AdminCommandStatus, GenericStatus, StatusCodeType } from '../../../src/spec/status.js';
import type {
  QpairConnectOptions,
  QpairEvents,
  Transport,
  TransportController,
  TransportQpair,
} from '../../../src/transport/transport.js';
import type { TransportId } from '../../../src/nvme-driver/transport-id.js';

/** What the fake answers a command with: dwords 0/1 and a status, or `hold` to keep it outstanding. */
export interface Answer {
  cdw0?: number;
  cdw1?: number;
  status?: Partial<CqeStatus>;
}

/** A command the fake received. */
export interface Received {
  qid: number;
  sqe: Buffer;
  data: Buffer | null;
}

interface RamNamespace {
  data: IdentifyNamespace;
  ids: NamespaceIds;
  blocks: Buffer;
}

const ok: Answer = {};
const status = (sct: number, sc: number, dnr = true): Answer => ({ status: { sct, sc, dnr } });
const invalidField = status(StatusCodeType.GENERIC, GenericStatus.INVALID_FIELD);

/** The controller behind every fake queue pair. Tweak its fields before connecting. */
export class FakeController {
  /** Identify Controller data served. */
  identify: IdentifyController;
  readonly namespaces = new Map<number, RamNamespace>();
  cap = { mqes: 127, to: 2, css: CapCss.NVM, mpsmin: 0, mpsmax: 4, dstrd: 0 };
  vs = { mjr: 1, mnr: 4, ter: 0 };
  cc = 0;
  csts = 0;
  /** CC.SHN answered by CSTS.SHST complete after this many CSTS reads (0: at once; -1: never). */
  shutdownAfterReads = 0;
  /** I/O queues granted by Set Features Number of Queues. */
  ioQueuesGranted = 8;
  cntlid = 0x21;
  kato = 0;
  aec = 0;
  keepAlives = 0;
  /** Answer the Nth keep alive (1-based) with an error. */
  failKeepAliveAt = 0;
  /** Reject Connect: the status (and dword 0) to answer it with. */
  connectAnswer: Answer | null = null;
  /** Discovery log entries, and how many more header reads see the generation counter move. */
  discoveryEntries: DiscoveryLogEntry[] = [];
  genctr = 1n;
  genctrBumps = 0;
  changedNsids: number[] = [];
  /** I/O opcodes kept outstanding until `release`. */
  readonly hold = new Set<number>();
  /** Admin opcodes kept outstanding until `release`. */
  readonly holdAdmin = new Set<number>();
  readonly held: { qp: FakeQpair; sqe: Buffer; data: Buffer | null }[] = [];
  readonly received: Received[] = [];
  readonly connects: { qid: number; sqsize: number; kato: number; data: DecodedConnectData }[] = [];
  readonly aers: { qp: FakeQpair; cid: number }[] = [];
  readonly aborts: { sqid: number; cid: number }[] = [];
  readonly qpairs: FakeQpair[] = [];
  /** What the driver asked the transport for, per queue pair. */
  readonly connectOptions: QpairConnectOptions[] = [];
  closedControllers = 0;
  /** Exceptions the fake itself threw; a test expects none. */
  readonly faults: Error[] = [];
  private cstsReadsSinceShutdown = 0;

  constructor() {
    this.identify = {
      ...defaultIdentifyController(),
      cntlid: this.cntlid,
      mdts: 5,
      kas: 1,
      aerl: 3,
      oaes: 1 << 8,
      nn: 4,
      oncs: 0x0d,
      vwc: 1,
      subnqn: 'nqn.2024-01.io.nvmekit:fake',
      ioccsz: 260,
      iorcsz: 1,
      sgls: 0x100001,
      maxcmd: 128,
      ver: encodeVs(this.vs),
    };
  }

  /** Adds a RAM namespace of `blocks` blocks of 2^lbads bytes. */
  addNamespace(nsid: number, blocks: number, lbads = 9, ids: NamespaceIds = {}): void {
    this.namespaces.set(nsid, { data: defaultIdentifyNamespace(BigInt(blocks), lbads), ids, blocks: Buffer.alloc(blocks * 2 ** lbads) });
  }

  /** Commands received with opcode `opc` (and qid, when given), decoded. */
  commands(opc: number, qid?: number): Received[] {
    return this.received.filter((r) => r.sqe[SqeOffset.OPC] === opc && (qid === undefined || r.qid === qid));
  }

  /** Fabrics commands of type `fctype` received. */
  fabrics(fctype: number): Received[] {
    return this.commands(FABRICS_OPCODE).filter((r) => r.sqe[4] === fctype);
  }

  /** Completes held commands (all, or those `which` selects) as the fake would have. */
  release(which: (sqe: Buffer) => boolean = () => true, answer?: Answer): void {
    for (const h of this.held.filter((x) => which(x.sqe))) {
      this.held.splice(this.held.indexOf(h), 1);
      h.qp.complete(h.sqe, answer ?? this.execute(h.qp.qid, h.sqe, h.data));
    }
  }

  /** Completes one outstanding AER with `cdw0`. */
  fireAsyncEvent(cdw0: number): void {
    const aer = this.aers.shift();
    if (!aer) throw new Error('no AER outstanding');
    aer.qp.completeCid(aer.cid, { cdw0 });
  }

  /** Runs one command. `null` keeps it outstanding. */
  execute(qid: number, sqe: Buffer, data: Buffer | null): Answer {
    const opc = sqe[SqeOffset.OPC]!;
    if (opc === FABRICS_OPCODE) return this.fabricsCommand(qid, sqe, data);
    return qid === 0 ? this.admin(sqe, data) : this.io(sqe, data);
  }

  private fabricsCommand(qid: number, sqe: Buffer, data: Buffer | null): Answer {
    const cmd = decodeFabricsSqe(sqe);
    switch (cmd.fctype) {
      case FabricsCommandType.CONNECT: {
        const cd = decodeConnectData(data!);
        this.connects.push({ qid: cmd.qid, sqsize: cmd.sqsize, kato: cmd.kato, data: cd });
        if (this.connectAnswer) return this.connectAnswer;
        const wanted = qid === 0 ? CNTLID_DYNAMIC : this.cntlid;
        if (cd.cntlid !== wanted) return { ...status(1, FabricsCommandStatus.CONNECT_INVALID_PARAMETERS), cdw0: connectInvalidParameterCdw0(true, 16) };
        if (qid === 0) this.kato = cmd.kato;
        return { cdw0: encodeConnectResponse({ cntlid: this.cntlid, authreq: 0 }) };
      }
      case FabricsCommandType.PROPERTY_GET:
        return propertyValueToCqe(this.readProperty(cmd.offset));
      case FabricsCommandType.PROPERTY_SET:
        this.writeProperty(cmd.offset, Number(cmd.value));
        return ok;
      default:
        return invalidField;
    }
  }

  private readProperty(offset: number): bigint {
    switch (offset) {
      case Register.CAP:
        return encodeCap(this.cap);
      case Register.VS:
        return BigInt(encodeVs(this.vs));
      case Register.CC:
        return BigInt(this.cc);
      case Register.CSTS:
        if (decodeCc(this.cc).shn === ShutdownNotification.NORMAL && this.shutdownAfterReads >= 0) {
          if (this.cstsReadsSinceShutdown++ >= this.shutdownAfterReads) {
            this.csts = encodeCsts({ rdy: decodeCc(this.cc).en, shst: ShutdownStatus.COMPLETE });
          }
        }
        return BigInt(this.csts);
      default:
        return 0n;
    }
  }

  private writeProperty(offset: number, value: number): void {
    if (offset !== Register.CC) return;
    this.cc = value;
    const cc = decodeCc(value);
    this.csts = encodeCsts({ rdy: cc.en, shst: cc.shn === ShutdownNotification.NONE ? ShutdownStatus.NORMAL : ShutdownStatus.OCCURRING });
    this.cstsReadsSinceShutdown = 0;
  }

  private admin(sqe: Buffer, data: Buffer | null): Answer {
    switch (sqe[SqeOffset.OPC]) {
      case AdminOpcode.IDENTIFY:
        return this.identifyCommand(sqe, data!);
      case AdminOpcode.GET_LOG_PAGE:
        return this.getLogPage(sqe, data!);
      case AdminOpcode.SET_FEATURES: {
        const { fid, cdw11 } = decodeCommand(SetFeatures, sqe);
        if (fid === FeatureId.NUMBER_OF_QUEUES) {
          const asked = decodeFeature(NumberOfQueues, cdw11);
          const n = Math.min(asked.nsqr, this.ioQueuesGranted);
          return { cdw0: encodeFeature(NumberOfQueues, { nsqr: n, ncqr: n }) };
        }
        if (fid === FeatureId.ASYNC_EVENT_CONFIGURATION) this.aec = cdw11;
        else if (fid === FeatureId.KEEP_ALIVE_TIMER) this.kato = cdw11;
        else return invalidField;
        return ok;
      }
      case AdminOpcode.GET_FEATURES: {
        const { fid } = decodeCommand(GetFeatures, sqe);
        return fid === FeatureId.KEEP_ALIVE_TIMER ? { cdw0: encodeFeature(KeepAliveTimer, { kato: this.kato }) } : invalidField;
      }
      case AdminOpcode.KEEP_ALIVE:
        this.keepAlives++;
        return this.keepAlives === this.failKeepAliveAt ? status(StatusCodeType.GENERIC, GenericStatus.KEEP_ALIVE_TIMER_EXPIRED) : ok;
      case AdminOpcode.ABORT: {
        const { sqid, cid } = decodeCommand(Abort, sqe);
        this.aborts.push({ sqid, cid });
        return ok;
      }
      default:
        return status(StatusCodeType.GENERIC, GenericStatus.INVALID_OPCODE);
    }
  }

  private identifyCommand(sqe: Buffer, out: Buffer): Answer {
    const { cns, nsid } = decodeCommand(Identify, sqe);
    let page: Buffer;
    if (cns === Cns.CONTROLLER) page = buildIdentifyController(this.identify);
    else if (cns === Cns.ACTIVE_NAMESPACE_LIST) page = buildActiveNamespaceList([...this.namespaces.keys()].filter((n) => n > nsid).sort((a, b) => a - b));
    else if (cns === Cns.NAMESPACE) {
      const ns = this.namespaces.get(nsid);
      page = ns ? buildIdentifyNamespace(ns.data) : Buffer.alloc(IDENTIFY_DATA_SIZE);
    } else if (cns === Cns.NAMESPACE_ID_DESCRIPTOR_LIST) {
      const ns = this.namespaces.get(nsid);
      if (!ns) return status(StatusCodeType.GENERIC, GenericStatus.INVALID_NAMESPACE_OR_FORMAT);
      page = buildNamespaceIds(ns.ids);
    } else return invalidField;
    page.copy(out);
    return ok;
  }

  private getLogPage(sqe: Buffer, out: Buffer): Answer {
    const { lid, offset, numd } = decodeCommand(GetLogPage, sqe);
    let page: Buffer;
    if (lid === LogPageId.DISCOVERY) {
      if (offset === 0 && numd * 4 === DISCOVERY_LOG_HEADER_SIZE && this.genctrBumps > 0) {
        this.genctrBumps--;
        this.genctr++;
      }
      page = buildDiscoveryLog({ genctr: this.genctr, entries: this.discoveryEntries });
    } else if (lid === LogPageId.CHANGED_NAMESPACE_LIST) {
      page = buildChangedNamespaceList({ overflow: false, nsids: this.changedNsids.splice(0) });
    } else return status(StatusCodeType.COMMAND_SPECIFIC, AdminCommandStatus.INVALID_LOG_PAGE);
    out.fill(0);
    page.copy(out, 0, offset, Math.min(page.length, offset + numd * 4));
    return ok;
  }

  private io(sqe: Buffer, data: Buffer | null): Answer {
    const { opc, nsid, slba, nlb } = decodeReadWrite(sqe);
    const ns = this.namespaces.get(nsid);
    if (!ns) return status(StatusCodeType.GENERIC, GenericStatus.INVALID_NAMESPACE_OR_FORMAT);
    if (opc === IoOpcode.FLUSH || opc === IoOpcode.DATASET_MANAGEMENT) return ok;
    const lbaSize = ns.blocks.length / Number(ns.data.nsze);
    if (slba + nlb > Number(ns.data.nsze)) return status(StatusCodeType.GENERIC, GenericStatus.LBA_OUT_OF_RANGE);
    const range = ns.blocks.subarray(slba * lbaSize, (slba + nlb) * lbaSize);
    switch (opc) {
      case IoOpcode.READ:
        range.copy(data!);
        return ok;
      case IoOpcode.WRITE:
        data!.copy(range);
        return ok;
      case IoOpcode.WRITE_ZEROES:
        range.fill(0);
        return ok;
      case IoOpcode.COMPARE:
        return range.equals(data!) ? ok : status(StatusCodeType.MEDIA_DATA_INTEGRITY, 0x85);
      default:
        return status(StatusCodeType.GENERIC, GenericStatus.INVALID_OPCODE);
    }
  }

  /** @internal a queue pair received a command */
  onSubmit(qp: FakeQpair, sqe: Buffer, data: Buffer | null): void {
    this.received.push({ qid: qp.qid, sqe, data });
    const opc = sqe[SqeOffset.OPC]!;
    if (qp.qid === 0 && opc === AsyncEventRequest.opc) {
      this.aers.push({ qp, cid: sqe.readUInt16LE(SqeOffset.CID) });
      return;
    }
    if (opc !== FABRICS_OPCODE && (qp.qid === 0 ? this.holdAdmin : this.hold).has(opc)) {
      this.held.push({ qp, sqe, data });
      return;
    }
    queueMicrotask(() => qp.complete(sqe, this.safely(qp.qid, sqe, data)));
  }

  /** A bug in the fake answers INTERNAL ERROR (so the test fails fast) and is kept in `faults`. */
  private safely(qid: number, sqe: Buffer, data: Buffer | null): Answer {
    try {
      return this.execute(qid, sqe, data);
    } catch (err) {
      this.faults.push(err as Error);
      return status(StatusCodeType.GENERIC, GenericStatus.INTERNAL_ERROR);
    }
  }
}

/** One fake transport queue pair. */
export class FakeQpair implements TransportQpair {
  readonly inCapsuleDataSize = 8192;
  events!: QpairEvents;
  closed = false;
  /** Like PCIe: completions wait until `processCompletions` reaps them. */
  polled = false;
  private sqhd = 0;
  private readonly backlog: Buffer[] = [];

  constructor(
    private readonly ctrl: FakeController,
    readonly qid: number,
    readonly qsize: number,
    readonly maxTransferSize: number,
  ) {}

  submit(sqe: Buffer, data: Buffer | null): void {
    if (this.closed) return;
    this.ctrl.onSubmit(this, Buffer.from(sqe), data);
  }

  processCompletions(max: number): number {
    const reaped = this.backlog.splice(0, max > 0 ? max : this.backlog.length);
    for (const cqe of reaped) this.events.onCompletion(cqe, 0);
    return reaped.length;
  }

  async close(): Promise<void> {
    this.closed = true;
  }

  /** Delivers a completion for `sqe` (ignored once closed). */
  complete(sqe: Buffer, answer: Answer): void {
    this.completeCid(sqe.readUInt16LE(SqeOffset.CID), answer);
  }

  completeCid(cid: number, answer: Answer): void {
    if (this.closed) return;
    this.sqhd = (this.sqhd + 1) % this.qsize;
    const cqe = encodeCqe({ cid, sqid: this.qid, sqhd: this.sqhd, cdw0: answer.cdw0 ?? 0, cdw1: answer.cdw1 ?? 0, ...answer.status });
    if (this.polled) this.backlog.push(cqe);
    else this.events.onCompletion(cqe, 0);
  }

  /** Kills the queue pair as a lost connection would. */
  die(err: Error): void {
    this.closed = true;
    this.events.onFatal(err);
  }
}

/** A transport that hands out fake queue pairs of one `FakeController`. */
export class FakeTransport implements Transport {
  readonly trtype = 'RDMA' as const;
  /** Limit the transport puts on one transfer. */
  maxTransferSize = 1 << 20;
  lastTrid: TransportId | undefined;

  constructor(readonly ctrl: FakeController) {}

  createController(trid: TransportId): TransportController {
    this.lastTrid = trid;
    const ctrl = this.ctrl;
    const maxTransferSize = this.maxTransferSize;
    return {
      fabrics: true,
      async connectQpair(opts: QpairConnectOptions): Promise<TransportQpair> {
        ctrl.connectOptions.push(opts);
        const qp = new FakeQpair(ctrl, opts.qid, opts.qsize, maxTransferSize);
        ctrl.qpairs.push(qp);
        return qp;
      },
      async close(): Promise<void> {
        ctrl.closedControllers++;
      },
    };
  }
}
