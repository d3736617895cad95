/**
 * Controller initialization as an explicit state machine, one function per
 * state returning the next (SPDK's nvme_ctrlr_process_init; the states carry
 * SPDK's nvme_ctrlr_state names so a trace reads the same). Each state runs
 * under its own deadline: CAP.TO for the ready waits, the connect timeout for
 * CONNECT_ADMINQ, the command timeout for the rest.
 */
import { TransportError } from '../spec/errors.js';
import { CNTLID_DYNAMIC } from '../spec/fabrics.js';
import {
  AsyncEventConfiguration,
  decodeFeature,
  encodeFeature,
  FeatureId,
  KeepAliveTimer,
  NumberOfQueues,
} from '../spec/features.js';
import { Cns } from '../spec/identify.js';
import { ControllerType, parseIdentifyController, type IdentifyController } from '../spec/identify-controller.js';
import type { IdentifyNamespace } from '../spec/identify-namespace.js';
import {
  CapCss,
  CcCss,
  decodeCap,
  decodeCc,
  decodeCsts,
  decodeVs,
  encodeCc,
  memoryPageSize,
  Register,
  type Cap,
  type Vs,
} from '../spec/registers.js';
import { AdminOpcode } from '../spec/opcodes.js';
import { NvmeStatusError } from '../spec/status.js';
import type { TransportController } from '../transport/transport.js';
import { AdminCommands } from './admin-commands.js';
import { AsyncEventRequests, MAX_OUTSTANDING_AERS } from './async-events.js';
import { fabricConnect, PropertyRegisters } from './fabrics.js';
import { Namespace } from './namespace.js';
import { identifyNamespaceData, identifyNamespaceIds, listActiveNamespaces } from './namespace-scan.js';
import type { ResolvedOptions } from './options.js';
import { QueuePair } from './queue-pair.js';
import { mmioRegisterIo, type RegisterIo } from './register-io.js';
import { DISCOVERY_NQN, type TransportId } from './transport-id.js';
import { pollUntil, withTimeout } from './wait.js';

/** Initialization states, named after SPDK's `nvme_ctrlr_state`. */
export type InitState =
  | 'CONNECT_ADMINQ'
  | 'READ_VS'
  | 'READ_CAP'
  | 'CHECK_EN'
  | 'SET_EN_0'
  | 'DISABLE_WAIT_FOR_READY_1'
  | 'DISABLE_WAIT_FOR_READY_0'
  | 'ENABLE'
  | 'ENABLE_WAIT_FOR_READY_1'
  | 'IDENTIFY'
  | 'CONFIGURE_AER'
  | 'SET_KEEP_ALIVE_TIMEOUT'
  | 'SET_NUM_QUEUES'
  | 'IDENTIFY_ACTIVE_NS'
  | 'IDENTIFY_NS'
  | 'IDENTIFY_ID_DESCS'
  | 'READY';

/** SMART / Health critical warnings SPDK asks to be told about (spare, temperature, reliability, read-only, backup). */
const SMART_CRITICAL_WARNINGS = 0x1f;
/** A ready wait gets at least this long, even when CAP.TO is 0. */
const MIN_READY_TIMEOUT_MS = 500;

/** Everything initialization learns; the `Controller` is built from it once READY. */
export class InitContext {
  admin: QueuePair | null = null;
  adminCommands!: AdminCommands;
  regs!: RegisterIo;
  cntlid = 0;
  vs!: Vs;
  cap!: Cap;
  data!: IdentifyController;
  isDiscovery = false;
  keepAliveTimeoutMs: number;
  ioQueueSize: number;
  maxIoQueues = 0;
  maxTransferSize = Infinity;
  activeNsids: number[] = [];
  readonly nsData = new Map<number, IdentifyNamespace>();
  namespaces: Namespace[] = [];
  aer: AsyncEventRequests | null = null;
  /** Set when initialization gave up: pollers stop with this error. */
  cancelled: Error | null = null;
  /** Where a fatal admin queue error goes once the controller exists. */
  onAdminFatal: ((err: Error) => void) | null = null;

  constructor(
    readonly trid: TransportId,
    readonly opts: ResolvedOptions,
    readonly tctrl: TransportController,
  ) {
    this.keepAliveTimeoutMs = opts.keepAliveTimeoutMs;
    this.ioQueueSize = opts.ioQueueSize;
  }

  get subnqn(): string {
    return this.trid.subnqn ?? DISCOVERY_NQN;
  }

  /** One trace line, prefixed like SPDK's controller log (`[subnqn, cntlid]`, or `[traddr]` on PCIe). */
  trace(line: string): void {
    if (!this.opts.trace) return;
    const who = this.tctrl.fabrics ? `${this.subnqn}, ${this.cntlid}` : (this.trid.traddr ?? '');
    this.opts.trace(`[${who}] ${line}`);
  }

  /** Best-effort Abort of a timed-out command; an Abort itself is never aborted. */
  readonly abortTimedOut = (sqid: number, cid: number, opc: number): void => {
    if (sqid === 0 && opc === AdminOpcode.ABORT) return;
    this.adminCommands.abort(sqid, cid).then(
      (cdw0) => this.trace(`abort sqid:${sqid} cid:${cid}: ${cdw0 & 1 ? 'not aborted' : 'aborted'}`),
      (err: Error) => this.trace(`abort sqid:${sqid} cid:${cid} failed: ${err.message}`),
    );
  };

  /** Closes what initialization opened (after a failure). Never throws. */
  async teardown(reason: Error): Promise<void> {
    this.cancelled = reason;
    this.aer?.stop();
    await this.admin?.free().catch(() => undefined);
    await this.tctrl.close().catch(() => undefined);
  }
}

type StateFn = (c: InitContext) => Promise<InitState>;

interface StateDef {
  run: StateFn;
  /** Deadline of the state in ms; 0 = none (its commands still time out one by one). */
  timeoutMs: (c: InitContext) => number;
}

const commandTimeout = (c: InitContext): number => c.opts.commandTimeoutMs;
/** How long CSTS.RDY may take to follow CC.EN: CAP.TO (500 ms units), at least 500 ms. */
export const readyTimeout = (c: InitContext): number => Math.max(MIN_READY_TIMEOUT_MS, c.cap.to * 500);
const noTimeout = (): number => 0;

const STATES: Record<Exclude<InitState, 'READY'>, StateDef> = {
  CONNECT_ADMINQ: { run: connectAdminq, timeoutMs: (c) => c.opts.connectTimeoutMs },
  READ_VS: {
    run: async (c) => {
      c.vs = decodeVs(await c.regs.read32(Register.VS));
      return 'READ_CAP';
    },
    timeoutMs: commandTimeout,
  },
  READ_CAP: {
    run: async (c) => {
      c.cap = decodeCap(await c.regs.read64(Register.CAP));
      c.ioQueueSize = Math.min(c.opts.ioQueueSize, c.cap.mqes + 1);
      return 'CHECK_EN';
    },
    timeoutMs: commandTimeout,
  },
  CHECK_EN: { run: checkEn, timeoutMs: commandTimeout },
  SET_EN_0: {
    run: async (c) => {
      const cc = decodeCc(await c.regs.read32(Register.CC));
      await c.regs.write32(Register.CC, encodeCc({ ...cc, en: false }));
      return 'DISABLE_WAIT_FOR_READY_0';
    },
    timeoutMs: commandTimeout,
  },
  DISABLE_WAIT_FOR_READY_1: { run: async (c) => (await waitForReady(c, true), 'SET_EN_0'), timeoutMs: readyTimeout },
  DISABLE_WAIT_FOR_READY_0: { run: async (c) => (await waitForReady(c, false), 'ENABLE'), timeoutMs: readyTimeout },
  ENABLE: { run: enable, timeoutMs: commandTimeout },
  ENABLE_WAIT_FOR_READY_1: { run: async (c) => (await waitForReady(c, true), 'IDENTIFY'), timeoutMs: readyTimeout },
  IDENTIFY: { run: identify, timeoutMs: commandTimeout },
  CONFIGURE_AER: { run: configureAer, timeoutMs: commandTimeout },
  SET_KEEP_ALIVE_TIMEOUT: { run: setKeepAliveTimeout, timeoutMs: commandTimeout },
  SET_NUM_QUEUES: { run: setNumQueues, timeoutMs: commandTimeout },
  IDENTIFY_ACTIVE_NS: {
    run: async (c) => {
      c.activeNsids = await listActiveNamespaces(c.adminCommands, c.vs, c.data.nn);
      return 'IDENTIFY_NS';
    },
    timeoutMs: noTimeout,
  },
  IDENTIFY_NS: {
    run: async (c) => {
      for (const nsid of c.activeNsids) {
        const data = await identifyNamespaceData(c.adminCommands, nsid);
        if (data) c.nsData.set(nsid, data);
      }
      return 'IDENTIFY_ID_DESCS';
    },
    timeoutMs: noTimeout,
  },
  IDENTIFY_ID_DESCS: {
    run: async (c) => {
      for (const [nsid, data] of c.nsData) {
        const ids = await identifyNamespaceIds(c.adminCommands, nsid, c.vs, data);
        c.namespaces.push(new Namespace(nsid, data, c.data, ids));
      }
      return 'READY';
    },
    timeoutMs: noTimeout,
  },
};

/**
 * Runs the state machine from CONNECT_ADMINQ to READY.
 * @throws whatever a state threw, or TransportError (ETIMEDOUT) naming the state that overran
 */
export async function initialize(c: InitContext): Promise<void> {
  let state: InitState = 'CONNECT_ADMINQ';
  while (state !== 'READY') {
    const def: StateDef = STATES[state];
    const timeoutMs = def.timeoutMs(c);
    c.trace(`setting state to ${state} (${timeoutMs > 0 ? `timeout ${timeoutMs} ms` : 'no timeout'})`);
    const current: InitState = state;
    state = await withTimeout(def.run(c), timeoutMs, () => {
      const err = new TransportError(`controller initialization: state ${current} did not finish within ${timeoutMs} ms`, 'ETIMEDOUT');
      c.cancelled = err;
      return err;
    });
  }
  c.trace('setting state to READY (no timeout)');
}

async function connectAdminq(c: InitContext): Promise<InitState> {
  const { opts, tctrl } = c;
  const tq = await tctrl.connectQpair({
    qid: 0,
    qsize: opts.adminQueueSize,
    headerDigest: opts.headerDigest,
    dataDigest: opts.dataDigest,
    connectTimeoutMs: opts.connectTimeoutMs,
  });
  c.admin = new QueuePair(tq, {
    commandTimeoutMs: opts.commandTimeoutMs,
    trace: opts.trace,
    autoPoll: !tctrl.fabrics,
    onTimeout: c.abortTimedOut,
    onFatal: (err) => c.onAdminFatal?.(err),
  });
  c.adminCommands = new AdminCommands(c.admin);
  if (tctrl.fabrics) {
    const { cntlid } = await fabricConnect(c.admin, {
      cntlid: CNTLID_DYNAMIC,
      kato: c.keepAliveTimeoutMs,
      subnqn: c.subnqn,
      hostnqn: opts.hostnqn,
      hostid: opts.hostid,
    });
    c.cntlid = cntlid;
    c.regs = new PropertyRegisters(c.admin);
  } else if (tctrl.registers) {
    c.regs = mmioRegisterIo(tctrl.registers);
  } else {
    throw new TransportError(`the ${c.trid.trtype} transport offers neither fabrics nor registers`);
  }
  return 'READ_VS';
}

async function checkEn(c: InitContext): Promise<InitState> {
  const cc = decodeCc(await c.regs.read32(Register.CC));
  const csts = decodeCsts(await c.regs.read32(Register.CSTS));
  if (!cc.en) return csts.rdy ? 'DISABLE_WAIT_FOR_READY_0' : 'ENABLE';
  // Enabled but not ready yet: let it become ready before disabling (as SPDK does).
  return csts.rdy ? 'SET_EN_0' : 'DISABLE_WAIT_FOR_READY_1';
}

/**
 * Polls CSTS until RDY = `rdy`. CSTS.CFS fails a wait for RDY = 1 only: disabling
 * (CC.EN = 0) is how a controller in fatal status is reset.
 */
export async function waitForReady(c: InitContext, rdy: boolean, cancelled: () => Error | null = () => c.cancelled): Promise<void> {
  await pollUntil(
    async () => decodeCsts(await c.regs.read32(Register.CSTS)),
    (csts) => {
      if (csts.cfs && rdy) throw new TransportError('controller fatal status (CSTS.CFS=1) while enabling the controller', 'EIO');
      return csts.rdy === rdy;
    },
    cancelled,
  );
}

/** CC.EN = 1 with the command sets, page size and queue entry sizes this driver uses, after the transport's enable hook. */
export async function enable(c: InitContext): Promise<InitState> {
  const { cap } = c;
  const css = cap.css & CapCss.IO_COMMAND_SETS ? CcCss.ALL_IO_COMMAND_SETS : cap.css & CapCss.NVM ? CcCss.NVM : CcCss.ADMIN_ONLY;
  // 4 KiB host pages (MPS 0) unless the controller's minimum is larger.
  const cc = encodeCc({ en: true, css, mps: cap.mpsmin, ams: 0, shn: 0, iosqes: 6, iocqes: 4 });
  c.tctrl.enable?.();
  await c.regs.write32(Register.CC, cc);
  return 'ENABLE_WAIT_FOR_READY_1';
}

async function identify(c: InitContext): Promise<InitState> {
  c.data = parseIdentifyController(await c.adminCommands.identify(Cns.CONTROLLER));
  // A PCIe transport ID has no subnqn: only fabrics default to the discovery subsystem.
  c.isDiscovery = c.data.cntrltype === ControllerType.DISCOVERY || (c.tctrl.fabrics && c.subnqn === DISCOVERY_NQN);
  if (!c.tctrl.fabrics) c.cntlid = c.data.cntlid;
  else if (c.data.cntlid !== c.cntlid) c.trace(`Identify CNTLID ${c.data.cntlid} differs from the Connect CNTLID ${c.cntlid}`);
  if (c.data.mdts > 0) c.maxTransferSize = 2 ** c.data.mdts * memoryPageSize(c.cap.mpsmin);
  return 'CONFIGURE_AER';
}

/** Enables the asynchronous events the controller supports (Set Features Async Event Configuration). */
export async function configureAsyncEvents(c: InitContext): Promise<void> {
  // OAES advertises each notice at the bit position Set Features AEC enables it with.
  const supported = decodeFeature(AsyncEventConfiguration, c.data.oaes);
  const cdw11 = encodeFeature(AsyncEventConfiguration, {
    // SMART warnings are mandatory on I/O controllers; discovery controllers (Linux nvmet) refuse them.
    shcw: c.isDiscovery ? 0 : SMART_CRITICAL_WARNINGS,
    nan: supported.nan,
    fan: supported.fan,
    anacn: supported.anacn,
    dlpcn: supported.dlpcn,
  });
  if (cdw11 !== 0) await tolerated(c, 'Set Features Async Event Configuration', c.adminCommands.setFeatures(FeatureId.ASYNC_EVENT_CONFIGURATION, cdw11));
}

async function configureAer(c: InitContext): Promise<InitState> {
  await configureAsyncEvents(c);
  c.aer = new AsyncEventRequests(c.admin!, Math.min(c.data.aerl + 1, MAX_OUTSTANDING_AERS), c.opts.trace);
  c.aer.start();
  return 'SET_KEEP_ALIVE_TIMEOUT';
}

async function setKeepAliveTimeout(c: InitContext): Promise<InitState> {
  const next: InitState = c.isDiscovery ? 'READY' : 'SET_NUM_QUEUES';
  if (c.keepAliveTimeoutMs === 0) return next;
  if (c.data.kas === 0) {
    c.trace('controller KAS is 0: keep alive disabled');
    c.keepAliveTimeoutMs = 0;
    return next;
  }
  if (!c.tctrl.fabrics) {
    const cdw11 = encodeFeature(KeepAliveTimer, { kato: c.keepAliveTimeoutMs });
    await c.adminCommands.setFeatures(FeatureId.KEEP_ALIVE_TIMER, cdw11);
  }
  // The controller may have rounded KATO (to its KAS granularity): use what it runs.
  const cdw0 = await tolerated(c, 'Get Features Keep Alive Timer', c.adminCommands.getFeatures(FeatureId.KEEP_ALIVE_TIMER));
  const kato = cdw0 === undefined ? 0 : decodeFeature(KeepAliveTimer, cdw0).kato;
  if (kato !== 0 && kato !== c.keepAliveTimeoutMs) {
    c.trace(`controller adjusted keep alive timeout to ${kato} ms`);
    c.keepAliveTimeoutMs = kato;
  }
  return next;
}

/** Set Features Number of Queues with the option's count: how many I/O queues the controller grants. */
export async function requestIoQueues(c: InitContext): Promise<number> {
  const n = c.opts.numIoQueues;
  const cdw0 = await c.adminCommands.setFeatures(FeatureId.NUMBER_OF_QUEUES, encodeFeature(NumberOfQueues, { nsqr: n, ncqr: n }));
  const granted = decodeFeature(NumberOfQueues, cdw0);
  return Math.min(n, granted.nsqr, granted.ncqr);
}

async function setNumQueues(c: InitContext): Promise<InitState> {
  c.maxIoQueues = await requestIoQueues(c);
  return 'IDENTIFY_ACTIVE_NS';
}

/** Runs an optional command: a status error is traced and yields undefined, as SPDK carries on. */
async function tolerated<T>(c: InitContext, what: string, work: Promise<T>): Promise<T | undefined> {
  try {
    return await work;
  } catch (err) {
    if (!(err instanceof NvmeStatusError)) throw err;
    c.trace(`${what} failed, continuing: ${err.message}`);
    return undefined;
  }
}
