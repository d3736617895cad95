/**
 * Test-only: rebuilds the IdentifyReport spdk_nvme_identify had in hand from
 * the bytes of its capture, so the text and JSON reports can be compared with
 * what SPDK printed. Everything comes from the capture except the values a
 * caller passes in (host-side state that never crossed the wire).
 */
import { discoveryLogHeaderNumrec, discoveryLogSize, parseDiscoveryLog } from '../../src/spec/discovery-log.js';
import {
  Arbitration,
  decodeFeature,
  ErrorRecovery,
  KeepAliveTimer,
  NumberOfQueues,
  PowerManagement,
  TemperatureThreshold,
  type FeatureDefinition,
} from '../../src/spec/features.js';
import type { BitLayout, BitValues } from '../../src/spec/bitfield.js';
import { parseIdentifyController } from '../../src/spec/identify-controller.js';
import { parseIdentifyNamespace } from '../../src/spec/identify-namespace.js';
import { Cns } from '../../src/spec/identify.js';
import {
  LogPageId,
  parseCommandEffectsLog,
  parseErrorLog,
  parseFirmwareSlotLog,
  parseSmartLog,
} from '../../src/spec/log-pages.js';
import { parseActiveNamespaceList, parseNamespaceIds } from '../../src/spec/namespace-lists.js';
import { Register } from '../../src/spec/registers.js';
import type { IdentifyReport } from '../../src/report/identify-report.js';
import {
  getFeaturesResult,
  identifyPayloads,
  loadCapturedCommands,
  logPagePayloads,
  propertyGetResult,
  type CapturedCommand,
} from './nvme-tcp-capture.js';

function last(cmds: CapturedCommand[], what: string): Buffer {
  const hit = cmds.at(-1);
  if (!hit) throw new Error(`capture has no ${what}`);
  return hit.data;
}

function feature<L extends BitLayout>(cmds: CapturedCommand[], f: FeatureDefinition<L>, nsid?: number): BitValues<L> | undefined {
  const cdw0 = getFeaturesResult(cmds, f.fid, nsid);
  return cdw0 === undefined ? undefined : decodeFeature(f, cdw0);
}

function logPage<T>(cmds: CapturedCommand[], lid: number, parse: (b: Buffer) => T): T | undefined {
  const hit = logPagePayloads(cmds, lid).at(-1);
  return hit ? parse(hit.data) : undefined;
}

/** The report for one connection of a capture. `trid` and `maxIoQueues` are host-side. */
export function identifyReportFromCapture(
  name: string,
  conn: number,
  host: { trid: string; maxIoQueues?: number },
): IdentifyReport {
  const cmds = loadCapturedCommands(name, conn);
  const cap = propertyGetResult(cmds, Register.CAP);
  const vs = propertyGetResult(cmds, Register.VS);
  if (cap === undefined || vs === undefined) throw new Error('capture has no CAP / VS Property Get');
  const nsList = identifyPayloads(cmds, Cns.ACTIVE_NAMESPACE_LIST);
  const nsids = nsList.length ? parseActiveNamespaceList(last(nsList, 'active namespace list')) : [];
  const discoveryReads = logPagePayloads(cmds, LogPageId.DISCOVERY);
  const discoveryPage = discoveryReads.find(
    (r) => r.data.length >= 1024 && r.data.length === discoveryLogSize(discoveryLogHeaderNumrec(r.data)),
  );
  return {
    trid: host.trid,
    ...(host.maxIoQueues === undefined ? {} : { maxIoQueues: host.maxIoQueues }),
    registers: { cap, vs: Number(vs) },
    controller: parseIdentifyController(last(identifyPayloads(cmds, Cns.CONTROLLER), 'Identify Controller')),
    namespaces: nsids.map((nsid) => {
      const descriptors = identifyPayloads(cmds, Cns.NAMESPACE_ID_DESCRIPTOR_LIST, nsid).at(-1);
      const errorRecovery = feature(cmds, ErrorRecovery, nsid);
      return {
        nsid,
        data: parseIdentifyNamespace(last(identifyPayloads(cmds, Cns.NAMESPACE, nsid), `Identify Namespace ${nsid}`)),
        ...(descriptors ? { descriptors: parseNamespaceIds(descriptors.data) } : {}),
        ...(errorRecovery ? { errorRecovery } : {}),
      };
    }),
    logs: stripUndefined({
      errors: logPage(cmds, LogPageId.ERROR_INFORMATION, parseErrorLog),
      health: logPage(cmds, LogPageId.SMART_HEALTH, parseSmartLog),
      firmwareSlot: logPage(cmds, LogPageId.FIRMWARE_SLOT, parseFirmwareSlotLog),
      effects: logPage(cmds, LogPageId.COMMANDS_SUPPORTED_AND_EFFECTS, parseCommandEffectsLog),
    }),
    features: stripUndefined({
      arbitration: feature(cmds, Arbitration),
      powerManagement: feature(cmds, PowerManagement),
      temperatureThreshold: feature(cmds, TemperatureThreshold),
      numberOfQueues: feature(cmds, NumberOfQueues),
      keepAliveTimer: feature(cmds, KeepAliveTimer),
    }),
    ...(discoveryPage ? { discovery: parseDiscoveryLog(discoveryPage.data) } : {}),
  };
}

/** The I/O queue count SPDK's driver settles on: what Set Features Number of Queues granted. */
export function grantedIoQueues(report: IdentifyReport): number | undefined {
  const q = report.features?.numberOfQueues;
  return q && Math.min(q.nsqr, q.ncqr);
}

function stripUndefined<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}
