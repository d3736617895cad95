/**
 * Get Log Page (admin opcode 02h). Each page is built whole from the
 * controller's state, then the window the host asked for (byte offset and
 * NUMD) is cut out of it, zero-padded past the end. Reading a page with RAE
 * clear re-arms its async event and, for the changed namespace list, empties it.
 */
import { decodeCommand, GetLogPage } from '../spec/commands.js';
import {
  buildChangedNamespaceList,
  buildCommandEffectsLog,
  buildFirmwareSlotLog,
  buildSmartLog,
  CriticalWarning,
  emptyCommandEffectsLog,
  emptyFirmwareSlotLog,
  emptySmartLog,
  LogPageId,
} from '../spec/log-pages.js';
import { IoOpcode } from '../spec/opcodes.js';
import { Status } from './command-status.js';
import { COMPOSITE_TEMPERATURE_K, type Controller } from './controller.js';
import { completeWithData } from './data-transfer.js';
import { IoStats } from './io-stats.js';
import { ioCommandSupported, IO_OPCODES } from './io-commands.js';
import type { TargetRequest } from './request.js';

const MS_PER_HOUR = 3_600_000;
/** SMART data units are thousands of 512-byte units, rounded up. */
const DATA_UNIT_BYTES = 512_000;

interface LogPage {
  /** @param adminOpcodes the admin commands the controller dispatches (for the effects log) */
  build(ctrl: Controller, adminOpcodes: readonly number[]): Buffer;
  /** Runs after a read with RAE clear. */
  consumed?(ctrl: Controller): void;
}

const ERROR_LOG_PAGE: LogPage = { build: (c) => c.errorLog.build() };

const IO_CONTROLLER_PAGES = new Map<number, LogPage>([
  [LogPageId.ERROR_INFORMATION, ERROR_LOG_PAGE],
  [LogPageId.SMART_HEALTH, { build: smartLog, consumed: (c) => c.asyncEvents.unmask(LogPageId.SMART_HEALTH) }],
  [LogPageId.FIRMWARE_SLOT, { build: firmwareSlotLog }],
  [
    LogPageId.CHANGED_NAMESPACE_LIST,
    {
      build: (c) => {
        const nsids = c.changedNamespaces.read(false);
        return buildChangedNamespaceList({ overflow: false, nsids });
      },
      consumed: (c) => {
        c.changedNamespaces.read(true);
        c.asyncEvents.unmask(LogPageId.CHANGED_NAMESPACE_LIST);
      },
    },
  ],
  [LogPageId.COMMANDS_SUPPORTED_AND_EFFECTS, { build: commandEffectsLog }],
]);

const DISCOVERY_CONTROLLER_PAGES = new Map<number, LogPage>([
  [LogPageId.ERROR_INFORMATION, ERROR_LOG_PAGE],
  [
    LogPageId.DISCOVERY,
    {
      build: (c) => c.target.buildDiscoveryLog(c.hostnqn, c.info),
      consumed: (c) => c.asyncEvents.unmask(LogPageId.DISCOVERY),
    },
  ],
]);

export function executeGetLogPage(
  ctrl: Controller,
  req: TargetRequest,
  sqe: Buffer,
  adminOpcodes: readonly number[],
): void {
  const cmd = decodeCommand(GetLogPage, sqe);
  const page = (ctrl.isDiscovery ? DISCOVERY_CONTROLLER_PAGES : IO_CONTROLLER_PAGES).get(cmd.lid);
  if (!page) {
    req.complete(Status.INVALID_LOG_PAGE);
    return;
  }
  if (cmd.ot || cmd.offset % 4 !== 0) {
    req.complete(Status.INVALID_FIELD);
    return;
  }
  const image = page.build(ctrl, adminOpcodes);
  if (cmd.offset > image.length) {
    req.complete(Status.INVALID_FIELD);
    return;
  }
  const out = Buffer.alloc(cmd.numd * 4);
  image.copy(out, 0, cmd.offset, Math.min(image.length, cmd.offset + out.length));
  if (!cmd.rae) page.consumed?.(ctrl);
  completeWithData(req, sqe, out);
}

function dataUnits(bytes: number): bigint {
  return BigInt(Math.ceil(bytes / DATA_UNIT_BYTES));
}

/** SMART / Health: I/O counted over the subsystem's namespaces, as a drive counts over its life. */
function smartLog(ctrl: Controller): Buffer {
  const subsystem = ctrl.subsystem;
  const total = new IoStats();
  for (const ns of subsystem.namespaces.values()) total.add(ns.stats);
  return buildSmartLog({
    ...emptySmartLog(),
    critical_warning: ctrl.temperatureWarning ? CriticalWarning.TEMPERATURE : 0,
    temperature: COMPOSITE_TEMPERATURE_K,
    avail_spare: 100,
    spare_thresh: 10,
    data_units_read: dataUnits(total.bytesRead),
    data_units_written: dataUnits(total.bytesWritten),
    host_reads: BigInt(total.readOps),
    host_writes: BigInt(total.writeOps),
    power_cycles: 1n,
    power_on_hours: BigInt(Math.floor((Date.now() - subsystem.createdAtMs) / MS_PER_HOUR)),
    unsafe_shutdowns: BigInt(subsystem.unsafeShutdowns),
    num_err_log_entries: BigInt(ctrl.errorLog.count),
  });
}

function firmwareSlotLog(ctrl: Controller): Buffer {
  return buildFirmwareSlotLog({ ...emptyFirmwareSlotLog(), afi: 1, frs1: ctrl.target.settings.firmwareRevision });
}

/** I/O opcodes that change logical block content (Flush counts, as SPDK reports it). */
const LBA_CHANGING = new Set<number>([IoOpcode.FLUSH, IoOpcode.WRITE, IoOpcode.WRITE_ZEROES, IoOpcode.DATASET_MANAGEMENT]);

function commandEffectsLog(ctrl: Controller, adminOpcodes: readonly number[]): Buffer {
  const log = emptyCommandEffectsLog();
  for (const opc of adminOpcodes) log.admin[opc]!.csupp = true;
  const devices = [...ctrl.subsystem.namespaces.values()].map((ns) => ns.bdev);
  for (const opc of IO_OPCODES) {
    if (!devices.every((d) => ioCommandSupported(opc, d))) continue;
    log.io[opc]!.csupp = true;
    if (LBA_CHANGING.has(opc)) log.io[opc]!.lbcc = true;
  }
  return buildCommandEffectsLog(log);
}
