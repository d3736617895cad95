/**
 * Target-side controller emulation (Linux `nvmet_ctrl`, SPDK `spdk_nvmf_ctrlr`):
 * one per association, created by an admin-queue Connect, owning its queue
 * pairs, the CC/CSTS registers, feature values, async events, the changed
 * namespace list, the error log and the keep alive timer.
 */
import { AsyncEventNoticeInfo, AsyncEventSmartInfo, AsyncEventType, encodeAsyncEventCompletion } from '../spec/commands.js';
import { AsyncEventConfiguration, encodeFeature } from '../spec/features.js';
import { CriticalWarning, LogPageId } from '../spec/log-pages.js';
import { CcCss, decodeCc, encodeCsts, ShutdownNotification, ShutdownStatus } from '../spec/registers.js';
import { AsyncEvents } from './async-events.js';
import { ChangedNamespaceList } from './changed-namespaces.js';
import { ErrorLog } from './error-log.js';
import { IoStats } from './io-stats.js';
import { KeepAliveTimer } from './keep-alive.js';
import type { NvmfQueuePair } from './queue-pair.js';
import type { Subsystem } from './subsystem.js';
import type { TargetContext } from './target-context.js';
import type { TargetConnectionInfo } from './transport/transport.js';

/** Identify AERL: AERs the host may keep outstanding, 0-based. */
export const AERL = 3;

/** Async Event Configuration bits this target can report. */
export const AsyncEventConfigBit = {
  NS_ATTRIBUTE_NOTICES: encodeFeature(AsyncEventConfiguration, { nan: true }),
  DISCOVERY_LOG_CHANGE_NOTICES: encodeFeature(AsyncEventConfiguration, { dlpcn: true }),
} as const;

/** KATO for a discovery association whose host asked for none: stale sessions still go (Linux nvmet's value). */
export const DISCOVERY_DEFAULT_KATO_MS = 120_000;

/** The composite temperature the controller reports (SMART log): room temperature, in kelvin. */
export const COMPOSITE_TEMPERATURE_K = 300;
/**
 * Over temperature threshold of the composite temperature after a reset:
 * 343 K (70 °C), as QEMU's emulated controller reports. (SPDK reports 0,
 * which any real temperature is over; Linux nvmet rejects the feature.)
 */
export const DEFAULT_OVER_TEMPERATURE_K = 0x157;

/** The two thresholds of the composite temperature, in kelvin. */
export interface TemperatureThresholds {
  over: number;
  under: number;
}

/** Feature values of one controller; reset to these by a controller reset. */
export interface ControllerFeatures {
  arbitration: number;
  powerManagement: number;
  /** Volatile Write Cache Enable, as the host set it. */
  volatileWriteCache: boolean;
  asyncEventConfig: number;
  /** I/O queues granted (a count; Number of Queues feature). */
  ioQueues: number;
  /** Temperature Threshold feature, for the composite temperature (the only sensor). */
  temperatureThreshold: TemperatureThresholds;
  /** Error Recovery feature value (TLER) by NSID; a namespace not here has 0, no time limit. */
  errorRecovery: Map<number, number>;
}

export interface ControllerInit {
  cntlid: number;
  hostnqn: string;
  /** Host identifier from the Connect data (UUID string). */
  hostid: string;
  /** Keep alive timeout from Connect, in ms. */
  katoMs: number;
}

export class Controller {
  readonly cntlid: number;
  readonly hostnqn: string;
  readonly hostid: string;
  readonly isDiscovery: boolean;
  /** The admin queue's connection: its limits go into CAP and Identify. */
  readonly info: TargetConnectionInfo;
  readonly stats = new IoStats();
  readonly errorLog = new ErrorLog();
  readonly changedNamespaces = new ChangedNamespaceList();
  readonly asyncEvents = new AsyncEvents(AERL + 1);
  readonly keepAlive: KeepAliveTimer;
  features: ControllerFeatures;
  /** Keep Alive Timeout in ms, as the host set it (0: none). */
  katoMs = 0;
  private ccValue = 0;
  private rdy = false;
  private fatal = false;
  private shutdownStatus: number = ShutdownStatus.NORMAL;
  private readonly ioQueues = new Map<number, NvmfQueuePair>();
  private destroyed = false;

  constructor(
    readonly target: TargetContext,
    readonly subsystem: Subsystem,
    readonly adminQueue: NvmfQueuePair,
    init: ControllerInit,
  ) {
    this.cntlid = init.cntlid;
    this.hostnqn = init.hostnqn;
    this.hostid = init.hostid;
    this.info = adminQueue.info;
    this.isDiscovery = subsystem.subtype === 'discovery';
    this.features = this.defaultFeatures();
    this.keepAlive = new KeepAliveTimer((periodMs) => {
      this.destroy(`keep alive timer (${periodMs} ms) expired`);
    });
    this.startKeepAlive(init.katoMs);
    subsystem.attachController(this);
  }

  /** The last value written to CC. */
  get cc(): number {
    return this.ccValue;
  }

  /** CSTS.RDY: commands beyond Fabrics and Identify may run. */
  get ready(): boolean {
    return this.rdy;
  }

  /** CSTS as the host reads it. */
  get csts(): number {
    return encodeCsts({ rdy: this.rdy, cfs: this.fatal, shst: this.shutdownStatus });
  }

  /** Changes the KATO (Connect, Set Features) and restarts the timer. */
  startKeepAlive(katoMs: number): void {
    this.katoMs = katoMs;
    this.keepAlive.start(katoMs === 0 && this.isDiscovery ? DISCOVERY_DEFAULT_KATO_MS : katoMs);
  }

  /** Number of I/O queues connected now. */
  get ioQueueCount(): number {
    return this.ioQueues.size;
  }

  /** The connected I/O queues by QID. */
  get ioQueuePairs(): ReadonlyMap<number, NvmfQueuePair> {
    return this.ioQueues;
  }

  hasIoQueue(qid: number): boolean {
    return this.ioQueues.has(qid);
  }

  attachIoQueue(qid: number, qp: NvmfQueuePair): void {
    this.ioQueues.set(qid, qp);
  }

  /** A queue pair left: its connection closed or was dropped. Losing the admin queue ends the association. */
  queueClosed(qp: NvmfQueuePair, reason: string): void {
    if (qp === this.adminQueue) {
      this.destroy(`admin queue closed: ${reason}`);
      return;
    }
    if (this.ioQueues.get(qp.qid) === qp) this.ioQueues.delete(qp.qid);
  }

  /**
   * A host wrote CC. Enabling checks the fields (a bad one sets CSTS.CFS, as
   * Linux nvmet does); disabling is a controller reset, which drops every I/O
   * queue as SPDK does; a shutdown notification drops them too and reports
   * CSTS.SHST complete at once, since there is nothing to save.
   */
  writeCc(value: number): void {
    const old = decodeCc(this.ccValue);
    const next = decodeCc(value);
    this.ccValue = value;
    if (next.en && !old.en) this.enable(value);
    if (!next.en && old.en) this.reset('controller reset (CC.EN cleared)');
    if (next.shn !== ShutdownNotification.NONE && old.shn === ShutdownNotification.NONE) {
      // Outstanding AERs stay: the host is leaving and the teardown completes them.
      this.rdy = false;
      this.dropIoQueues('shutdown (CC.SHN)');
      this.shutdownStatus = ShutdownStatus.COMPLETE;
    }
    if (next.shn === ShutdownNotification.NONE && old.shn !== ShutdownNotification.NONE) {
      this.shutdownStatus = ShutdownStatus.NORMAL;
    }
  }

  /** The composite temperature is at or beyond one of its thresholds (SMART critical warning, temperature). */
  get temperatureWarning(): boolean {
    const { over, under } = this.features.temperatureThreshold;
    return COMPOSITE_TEMPERATURE_K >= over || COMPOSITE_TEMPERATURE_K <= under;
  }

  /** A temperature threshold was set: a threshold now crossed is a SMART event, when the host asked for those. */
  temperatureThresholdChanged(): void {
    if (!this.ready || !this.temperatureWarning) return;
    if ((this.features.asyncEventConfig & CriticalWarning.TEMPERATURE) === 0) return;
    this.asyncEvents.post(
      LogPageId.SMART_HEALTH,
      encodeAsyncEventCompletion({
        type: AsyncEventType.SMART,
        info: AsyncEventSmartInfo.TEMPERATURE_THRESHOLD,
        logPageId: LogPageId.SMART_HEALTH,
      }),
    );
  }

  /** A namespace of the subsystem was added or removed. */
  namespaceChanged(nsid: number): void {
    this.features.errorRecovery.delete(nsid);
    this.changedNamespaces.add(nsid);
    if (!this.ready || (this.features.asyncEventConfig & AsyncEventConfigBit.NS_ATTRIBUTE_NOTICES) === 0) return;
    this.asyncEvents.post(
      LogPageId.CHANGED_NAMESPACE_LIST,
      encodeAsyncEventCompletion({
        type: AsyncEventType.NOTICE,
        info: AsyncEventNoticeInfo.NS_ATTRIBUTE_CHANGED,
        logPageId: LogPageId.CHANGED_NAMESPACE_LIST,
      }),
    );
  }

  /** The discovery log changed (discovery controllers only report it). */
  discoveryLogChanged(): void {
    if (!this.isDiscovery || !this.ready) return;
    if ((this.features.asyncEventConfig & AsyncEventConfigBit.DISCOVERY_LOG_CHANGE_NOTICES) === 0) return;
    this.asyncEvents.post(
      LogPageId.DISCOVERY,
      encodeAsyncEventCompletion({
        type: AsyncEventType.NOTICE,
        info: AsyncEventNoticeInfo.DISCOVERY_LOG_CHANGE,
        logPageId: LogPageId.DISCOVERY,
      }),
    );
  }

  /**
   * Ends the association: outstanding AERs complete with ABORTED - SQ DELETION,
   * every queue pair's transport is told to drop its connection, and the CNTLID
   * is freed. Idempotent.
   */
  destroy(reason: string): void {
    if (this.destroyed) return;
    this.destroyed = true;
    this.keepAlive.stop();
    this.target.log('info', `${this.subsystem.nqn}: controller ${this.cntlid} (${this.hostnqn}) ends: ${reason}`);
    if (this.shutdownStatus !== ShutdownStatus.COMPLETE && !this.isDiscovery) this.subsystem.unsafeShutdowns++;
    this.asyncEvents.abortAll();
    this.subsystem.detachController(this);
    this.dropIoQueues(reason);
    this.adminQueue.terminate(reason);
  }

  private enable(cc: number): void {
    const f = decodeCc(cc);
    const valid =
      f.mps === 0 &&
      f.ams === 0 &&
      // CSS 110b ("all I/O command sets") is what Linux hosts write when CAP.CSS allows it; only NVM runs here either way.
      (f.css === CcCss.NVM || f.css === CcCss.ALL_IO_COMMAND_SETS) &&
      (f.iosqes === 0 || f.iosqes === 6) &&
      (f.iocqes === 0 || f.iocqes === 4);
    if (!valid) {
      this.fatal = true;
      this.target.log('warn', `${this.subsystem.nqn}: controller ${this.cntlid}: CC 0x${cc.toString(16)} has unsupported MPS/AMS/CSS/IOSQES/IOCQES`);
      return;
    }
    this.fatal = false;
    this.rdy = true;
  }

  private reset(reason: string): void {
    this.rdy = false;
    this.fatal = false;
    this.asyncEvents.abortAll();
    this.dropIoQueues(reason);
    this.features = this.defaultFeatures();
  }

  private dropIoQueues(reason: string): void {
    const queues = [...this.ioQueues.values()];
    this.ioQueues.clear();
    for (const qp of queues) qp.terminate(reason);
  }

  /** Feature values after a reset (Get Features SEL default). */
  defaultFeatures(): ControllerFeatures {
    return {
      arbitration: 0,
      powerManagement: 0,
      volatileWriteCache: [...this.subsystem.namespaces.values()].some((ns) => ns.bdev.volatileWriteCache),
      asyncEventConfig: 0,
      ioQueues: this.isDiscovery ? 0 : this.target.settings.maxIoQueuesPerController,
      temperatureThreshold: { over: DEFAULT_OVER_TEMPERATURE_K, under: 0 },
      errorRecovery: new Map(),
    };
  }
}
