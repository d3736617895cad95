/**
 * Gathers what spdk_nvme_identify reads from one controller into an
 * {@link IdentifyReport}: registers, Identify data, current feature values,
 * log pages, and for a discovery controller its log. Commands are sent one at
 * a time (SPDK does the same: some drives mishandle overlapped Get Features).
 * A command the controller rejects leaves its section out, as in SPDK.
 */
import type { Controller } from '../nvme-driver/controller.js';
import { readDiscoveryLog } from '../nvme-driver/discovery.js';
import { DEFAULT_OPTIONS } from '../nvme-driver/options.js';
import type { TransportId } from '../nvme-driver/transport-id.js';
import type { IdentifyReport, IdentifyReportFeatures, IdentifyReportLogs, IdentifyReportNamespace } from '../report/identify-report.js';
import { decodeBits, type BitLayout, type BitValues } from '../spec/bitfield.js';
import { encodeCommand, GetFeatures } from '../spec/commands.js';
import {
  Arbitration,
  AsyncEventConfiguration,
  decodeFeature,
  ErrorRecovery,
  featureName,
  KeepAliveTimer,
  NumberOfQueues,
  PowerManagement,
  TemperatureThreshold,
  VolatileWriteCache,
  type FeatureDefinition,
} from '../spec/features.js';
import { Cns } from '../spec/identify.js';
import { LPA_BITS, VWC_BITS } from '../spec/identify-controller.js';
import {
  EFFECTS_LOG_SIZE,
  ERROR_ENTRY_SIZE,
  FIRMWARE_SLOT_LOG_SIZE,
  LogPageId,
  parseCommandEffectsLog,
  parseErrorLog,
  parseFirmwareSlotLog,
  parseSmartLog,
  SMART_LOG_SIZE,
} from '../spec/log-pages.js';
import { decodeCap, Register } from '../spec/registers.js';
import { SQE_SIZE } from '../spec/sqe.js';
import { NvmeStatusError } from '../spec/status.js';

/** NSID FFFFFFFFh: the log pages of the whole controller (SPDK_NVME_GLOBAL_NS_TAG). */
const NSID_ALL = 0xffffffff;

/** Options of {@link collectIdentifyReport}. */
export interface CollectOptions {
  /** Told about each command the controller rejected; the section it feeds is left out. */
  onRejected?: (what: string, err: NvmeStatusError) => void;
  /**
   * Receives the raw bytes behind the report, labelled (`Identify Controller`,
   * `Identify Namespace 1`, `SMART / Health log`...), for hex dumps. When set,
   * Identify Controller and Identify Namespace are read again to get their bytes.
   */
  onRawData?: (label: string, data: Buffer) => void;
}

/** Runs the commands of one report, tolerating rejections. */
class Collector {
  constructor(
    readonly ctrlr: Controller,
    readonly opts: CollectOptions,
  ) {}

  /** The command's result, or undefined when the controller answered with an error status. */
  async tolerate<T>(what: string, work: Promise<T>): Promise<T | undefined> {
    try {
      return await work;
    } catch (err) {
      if (!(err instanceof NvmeStatusError)) throw err;
      this.opts.onRejected?.(what, err);
      return undefined;
    }
  }

  raw(label: string, data: Buffer): void {
    this.opts.onRawData?.(label, data);
  }

  async feature<L extends BitLayout>(f: FeatureDefinition<L>, nsid = 0): Promise<BitValues<L> | undefined> {
    // Controller.getFeatures takes no NSID, and Error Recovery is per namespace.
    const sqe = encodeCommand(GetFeatures, Buffer.alloc(SQE_SIZE), { fid: f.fid, nsid });
    const cpl = await this.tolerate(`Get Features ${featureName(f.fid)}`, this.ctrlr.adminCommand(sqe));
    return cpl && decodeFeature(f, cpl.cdw0);
  }

  async logPage<T>(what: string, lid: number, size: number, parse: (buf: Buffer) => T): Promise<T | undefined> {
    const buf = await this.tolerate(`Get Log Page ${what}`, this.ctrlr.getLogPage(lid, size, { nsid: NSID_ALL }));
    if (!buf) return undefined;
    this.raw(`${what} log`, buf);
    return parse(buf);
  }

  async identifyControllerRaw(): Promise<void> {
    if (this.opts.onRawData) this.raw('Identify Controller', await this.ctrlr.identify(Cns.CONTROLLER));
  }

  async identifyNamespaceRaw(nsid: number): Promise<void> {
    if (this.opts.onRawData) this.raw(`Identify Namespace ${nsid}`, await this.ctrlr.identify(Cns.NAMESPACE, nsid));
  }
}

/** Drops the keys whose value is undefined, so absent sections stay absent in JSON. */
function definedOnly<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}

/** What every controller reports: registers and Identify Controller. */
async function controllerBase(c: Collector, trid: TransportId | string): Promise<IdentifyReport> {
  const { ctrlr } = c;
  const cap = await ctrlr.readRegister64(Register.CAP);
  const vs = await ctrlr.readRegister32(Register.VS);
  const cc = await c.tolerate('Property Get CC', ctrlr.readRegister32(Register.CC));
  const csts = await c.tolerate('Property Get CSTS', ctrlr.readRegister32(Register.CSTS));
  // CMBSZ is a PCIe register (fabrics have no property for it) and means something only with CAP.CMBS.
  const hasCmb = ctrlr.trid.trtype === 'PCIe' && decodeCap(cap).cmbs;
  const cmbsz = hasCmb ? await ctrlr.readRegister32(Register.CMBSZ) : undefined;
  await c.identifyControllerRaw();
  return {
    trid,
    registers: definedOnly({ cap, vs, cc, csts, cmbsz }),
    controller: ctrlr.data,
    // A discovery controller never negotiates I/O queues; SPDK then prints the count it would have asked for.
    maxIoQueues: ctrlr.isDiscovery ? DEFAULT_OPTIONS.numIoQueues : ctrlr.maxIoQueues,
    namespaces: [],
  };
}

async function readFeatures(c: Collector): Promise<IdentifyReportFeatures> {
  const vwcPresent = decodeBits(VWC_BITS, c.ctrlr.data.vwc).present;
  return definedOnly({
    arbitration: await c.feature(Arbitration),
    powerManagement: await c.feature(PowerManagement),
    temperatureThreshold: await c.feature(TemperatureThreshold),
    numberOfQueues: await c.feature(NumberOfQueues),
    keepAliveTimer: await c.feature(KeepAliveTimer),
    asyncEventConfiguration: await c.feature(AsyncEventConfiguration),
    // Without a volatile write cache the feature is reserved.
    volatileWriteCache: vwcPresent ? await c.feature(VolatileWriteCache) : undefined,
  });
}

async function readLogs(c: Collector): Promise<IdentifyReportLogs> {
  const data = c.ctrlr.data;
  const celp = decodeBits(LPA_BITS, data.lpa).commandEffects;
  return definedOnly({
    errors: await c.logPage('Error Information', LogPageId.ERROR_INFORMATION, (data.elpe + 1) * ERROR_ENTRY_SIZE, parseErrorLog),
    health: await c.logPage('SMART / Health', LogPageId.SMART_HEALTH, SMART_LOG_SIZE, parseSmartLog),
    firmwareSlot: await c.logPage('Firmware Slot', LogPageId.FIRMWARE_SLOT, FIRMWARE_SLOT_LOG_SIZE, parseFirmwareSlotLog),
    effects: celp
      ? await c.logPage('Commands Supported and Effects', LogPageId.COMMANDS_SUPPORTED_AND_EFFECTS, EFFECTS_LOG_SIZE, parseCommandEffectsLog)
      : undefined,
  });
}

async function readNamespaces(c: Collector): Promise<IdentifyReportNamespace[]> {
  const out: IdentifyReportNamespace[] = [];
  for (const ns of c.ctrlr.namespaces) {
    await c.identifyNamespaceRaw(ns.nsid);
    out.push(
      definedOnly({
        nsid: ns.nsid,
        data: ns.data,
        descriptors: Object.keys(ns.ids).length > 0 ? ns.ids : undefined,
        errorRecovery: await c.feature(ErrorRecovery, ns.nsid),
      }),
    );
  }
  return out;
}

/**
 * The report of a discovery controller: registers, Identify Controller and the
 * Discovery Log Page (read until its generation counter holds still). Like
 * SPDK, no Get Features and no other log pages (a discovery controller
 * supports neither).
 */
export async function collectDiscoveryReport(
  controller: Controller,
  trid: TransportId | string,
  opts: CollectOptions = {},
): Promise<IdentifyReport> {
  const c = new Collector(controller, opts);
  const base = await controllerBase(c, trid);
  return { ...base, discovery: await readDiscoveryLog(controller, { onPage: (page) => c.raw('Discovery Log Page', page) }) };
}

/**
 * Everything spdk_nvme_identify reports about `controller`, read in its order:
 * registers (CAP, VS, CC, CSTS), Identify Controller, Get Features (arbitration,
 * power management, temperature threshold, number of queues, keep alive,
 * async event configuration, volatile write cache), the error log (ELPE + 1
 * entries), SMART / Health, firmware slots, commands supported and effects
 * (when LPA says it exists), then each active namespace with its identifiers
 * and Error Recovery. A discovery controller gets {@link collectDiscoveryReport}.
 *
 * @param trid what the report names the controller by (its banner)
 * @throws what the driver throws for anything but a rejected command (lost connection, timeout)
 */
export async function collectIdentifyReport(
  controller: Controller,
  trid: TransportId | string,
  opts: CollectOptions = {},
): Promise<IdentifyReport> {
  if (controller.isDiscovery) return collectDiscoveryReport(controller, trid, opts);
  const c = new Collector(controller, opts);
  const base = await controllerBase(c, trid);
  const features = await readFeatures(c);
  const logs = await readLogs(c);
  return { ...base, features, logs, namespaces: await readNamespaces(c) };
}
