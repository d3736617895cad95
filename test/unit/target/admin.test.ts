import { describe, expect, it } from 'vitest';
import { encodeBits32 } from '../../../src/spec/bitfield.js';
import {
  AsyncEventNoticeInfo,
  AsyncEventRequest,
  AsyncEventSmartInfo,
  AsyncEventType,
  decodeAsyncEventCompletion,
  encodeCommand,
} from '../../../src/spec/commands.js';
import {
  AsyncEventConfiguration,
  decodeFeature,
  encodeFeature,
  ErrorRecovery,
  FeatureCapabilities,
  FeatureId,
  FeatureSelect,
  TemperatureSelect,
  TemperatureThreshold,
  ThresholdTypeSelect,
} from '../../../src/spec/features.js';
import {
  ControllerType,
  ONCS_BITS,
  parseIdentifyController,
  SGLS_BITS,
} from '../../../src/spec/identify-controller.js';
import { parseIdentifyNamespace } from '../../../src/spec/identify-namespace.js';
import { Cns } from '../../../src/spec/identify.js';
import {
  CriticalWarning,
  LogPageId,
  parseChangedNamespaceList,
  parseCommandEffectsLog,
  parseErrorLog,
  parseFirmwareSlotLog,
  parseSmartLog,
} from '../../../src/spec/log-pages.js';
import { parseActiveNamespaceList, parseNamespaceIds } from '../../../src/spec/namespace-lists.js';
import { AdminOpcode, IoOpcode } from '../../../src/spec/opcodes.js';
import { SqeOffset } from '../../../src/spec/sqe.js';
import { AdminCommandStatus, GenericStatus } from '../../../src/spec/status.js';
import { decodeBits } from '../../../src/spec/bitfield.js';
import { NullBlockDevice } from '../../../src/target/bdev/null.js';
import { MallocBlockDevice } from '../../../src/target/bdev/malloc.js';
import {
  blockSqe,
  connectIo,
  enableController,
  getFeaturesSqe,
  getLogPageSqe,
  identifySqe,
  makeTarget,
  setFeaturesSqe,
  st,
  statusOf,
  SUBNQN,
  withTransportSgl,
} from './harness.js';

const OK = '0/0x00';
const INVALID_FIELD = st(0, GenericStatus.INVALID_FIELD);
const INVALID_NS = st(0, GenericStatus.INVALID_NAMESPACE_OR_FORMAT);
const CSE = st(0, GenericStatus.COMMAND_SEQUENCE_ERROR);

function adminSqe(opc: number): Buffer {
  const sqe = Buffer.alloc(64);
  sqe[0] = opc;
  return sqe;
}

describe('Identify', () => {
  it('CNS 1 describes the controller, the subsystem and the transport limits', () => {
    const { target } = makeTarget();
    const { admin, cntlid } = enableController(target);
    const c = admin.run(identifySqe(Cns.CONTROLLER));
    expect(statusOf(c)).toBe(OK);
    const id = parseIdentifyController(c.data!);
    expect(id).toMatchObject({
      sn: 'SN-TEST-0001',
      mn: 'nvmekit test',
      fr: target.settings.firmwareRevision,
      rab: 6,
      cmic: 3,
      mdts: 5, // 128 KiB = 2^5 x 4 KiB
      cntlid,
      ver: 0x00010300,
      oaes: 0x100,
      ctratt: 0x41,
      cntrltype: ControllerType.IO,
      aerl: 3,
      lpa: 0x06,
      elpe: 127,
      kas: 10,
      sqes: 0x66,
      cqes: 0x44,
      maxcmd: 128,
      nn: 32,
      vwc: 0x07,
      subnqn: SUBNQN,
      ioccsz: (64 + 4096) / 16,
      iorcsz: 1,
      icdoff: 0,
      fcatt: 0,
      msdbd: 1,
    });
    expect(decodeBits(ONCS_BITS, id.oncs)).toMatchObject({ compare: true, datasetManagement: true, writeZeroes: true });
    expect(id.sgls).toBe(encodeBits32('SGLS', SGLS_BITS, { support: 1, offset: true }));
    expect(id.psds).toHaveLength(1);
  });

  it('ONCS and VWC follow what the namespaces can do', () => {
    const { target, subsystem } = makeTarget();
    subsystem.addNamespace(new NullBlockDevice({ numBlocks: 1024 }));
    const { admin } = enableController(target);
    const id = parseIdentifyController(admin.run(identifySqe(Cns.CONTROLLER)).data!);
    expect(decodeBits(ONCS_BITS, id.oncs)).toMatchObject({ datasetManagement: false, writeZeroes: true });
    subsystem.removeNamespace(1);
    const onlyNull = parseIdentifyController(admin.run(identifySqe(Cns.CONTROLLER)).data!);
    expect(onlyNull.vwc).toBe(0);
  });

  it('CNS 0 describes an active namespace, zero-fills an inactive one, refuses NSID 0 and FFFFFFFFh', () => {
    const { target, bdev, subsystem } = makeTarget();
    const { admin } = enableController(target);
    const ns = parseIdentifyNamespace(admin.run(identifySqe(Cns.NAMESPACE, 1)).data!);
    expect(ns.nsze).toBe(2048n);
    expect(ns.ncap).toBe(2048n);
    expect(ns.lbafs[0]).toMatchObject({ ds: 9, ms: 0 });
    expect(ns.nguid).toBe(bdev.uuid.replace(/-/g, ''));
    expect(ns.nmic).toBe(1);
    expect(ns.dlfeat).toBe(1);
    const inactive = admin.run(identifySqe(Cns.NAMESPACE, 7));
    expect(statusOf(inactive)).toBe(OK);
    expect(inactive.data!.equals(Buffer.alloc(4096))).toBe(true);
    expect(statusOf(admin.run(identifySqe(Cns.NAMESPACE, 0)))).toBe(INVALID_NS);
    expect(statusOf(admin.run(identifySqe(Cns.NAMESPACE, 0xffffffff)))).toBe(INVALID_NS);
    expect(statusOf(admin.run(identifySqe(Cns.NAMESPACE, subsystem.maxNamespaces + 1)))).toBe(INVALID_NS);
  });

  it('CNS 2 lists active NSIDs above the one given; CNS 3 gives NGUID and UUID', () => {
    const { target, subsystem, bdev } = makeTarget();
    subsystem.addNamespace(new MallocBlockDevice({ numBlocks: 8 }), 5);
    subsystem.addNamespace(new MallocBlockDevice({ numBlocks: 8 }), { nsid: 3, eui64: '0011223344556677' });
    const { admin } = enableController(target);
    expect(parseActiveNamespaceList(admin.run(identifySqe(Cns.ACTIVE_NAMESPACE_LIST, 0)).data!)).toEqual([1, 3, 5]);
    expect(parseActiveNamespaceList(admin.run(identifySqe(Cns.ACTIVE_NAMESPACE_LIST, 3)).data!)).toEqual([5]);
    expect(statusOf(admin.run(identifySqe(Cns.ACTIVE_NAMESPACE_LIST, 0xfffffffe)))).toBe(INVALID_NS);
    expect(parseNamespaceIds(admin.run(identifySqe(Cns.NAMESPACE_ID_DESCRIPTOR_LIST, 1)).data!)).toEqual({
      nguid: bdev.uuid.replace(/-/g, ''),
      uuid: bdev.uuid,
    });
    expect(parseNamespaceIds(admin.run(identifySqe(Cns.NAMESPACE_ID_DESCRIPTOR_LIST, 3)).data!).eui64).toBe('0011223344556677');
    expect(statusOf(admin.run(identifySqe(Cns.NAMESPACE_ID_DESCRIPTOR_LIST, 2)))).toBe(INVALID_NS);
  });

  it('CNS 6 (NVM command set) has no extra limits; unknown CNS is INVALID FIELD', () => {
    const { target } = makeTarget();
    const { admin } = enableController(target);
    const nvm = admin.run(identifySqe(Cns.IOCS_CONTROLLER, 0, 0));
    expect(statusOf(nvm)).toBe(OK);
    expect(nvm.data!.equals(Buffer.alloc(4096))).toBe(true);
    expect(statusOf(admin.run(identifySqe(Cns.IOCS_CONTROLLER, 0, 2)))).toBe(INVALID_FIELD);
    expect(statusOf(admin.run(identifySqe(Cns.CONTROLLER_LIST)))).toBe(INVALID_FIELD);
  });

  it('wants a host buffer big enough for the page', () => {
    const { target } = makeTarget();
    const { admin } = enableController(target);
    const sqe = withTransportSgl(identifySqe(Cns.CONTROLLER), 512);
    expect(statusOf(admin.run(sqe))).toBe(st(0, GenericStatus.DATA_SGL_LENGTH_INVALID));
  });
});

describe('Get/Set Features', () => {
  it('grants min(requested, 127) I/O queues, and refuses a change once I/O queues exist', () => {
    const { target } = makeTarget();
    const { admin, cntlid } = enableController(target);
    expect(admin.run(setFeaturesSqe(FeatureId.NUMBER_OF_QUEUES, 0x00ff_00ff)).cdw0).toBe(0x007e_007e);
    expect(admin.run(setFeaturesSqe(FeatureId.NUMBER_OF_QUEUES, 0x0003_0007)).cdw0).toBe(0x0003_0003);
    expect(admin.run(getFeaturesSqe(FeatureId.NUMBER_OF_QUEUES)).cdw0).toBe(0x0003_0003);
    expect(statusOf(admin.run(setFeaturesSqe(FeatureId.NUMBER_OF_QUEUES, 0xffff_0000)))).toBe(INVALID_FIELD);
    connectIo(target, cntlid, 1);
    expect(statusOf(admin.run(setFeaturesSqe(FeatureId.NUMBER_OF_QUEUES, 0)))).toBe(CSE);
  });

  it('keeps KATO, async event configuration, arbitration, power state and write cache', () => {
    const { target } = makeTarget();
    const { admin } = enableController(target);
    expect(statusOf(admin.run(setFeaturesSqe(FeatureId.KEEP_ALIVE_TIMER, 15000)))).toBe(OK);
    expect(admin.run(getFeaturesSqe(FeatureId.KEEP_ALIVE_TIMER)).cdw0).toBe(15000);
    // ANA change notices (bit 11) are not raised here, so they are dropped.
    admin.run(setFeaturesSqe(FeatureId.ASYNC_EVENT_CONFIGURATION, 0x900));
    expect(admin.run(getFeaturesSqe(FeatureId.ASYNC_EVENT_CONFIGURATION)).cdw0).toBe(0x100);
    admin.run(setFeaturesSqe(FeatureId.ARBITRATION, 0x0302_0103));
    expect(admin.run(getFeaturesSqe(FeatureId.ARBITRATION)).cdw0).toBe(0x0302_0103);
    expect(statusOf(admin.run(setFeaturesSqe(FeatureId.POWER_MANAGEMENT, 1)))).toBe(INVALID_FIELD);
    expect(statusOf(admin.run(setFeaturesSqe(FeatureId.POWER_MANAGEMENT, 0)))).toBe(OK);
    expect(admin.run(getFeaturesSqe(FeatureId.VOLATILE_WRITE_CACHE)).cdw0).toBe(1);
    admin.run(setFeaturesSqe(FeatureId.VOLATILE_WRITE_CACHE, 0));
    expect(admin.run(getFeaturesSqe(FeatureId.VOLATILE_WRITE_CACHE)).cdw0).toBe(0);
    expect(admin.run(getFeaturesSqe(FeatureId.VOLATILE_WRITE_CACHE, FeatureSelect.DEFAULT)).cdw0).toBe(1);
    expect(admin.run(getFeaturesSqe(FeatureId.VOLATILE_WRITE_CACHE, FeatureSelect.SUPPORTED_CAPABILITIES)).cdw0).toBe(4);
  });

  it('temperature thresholds of the composite temperature: over 343 K and under 0 K after reset, per THSEL', () => {
    const { target } = makeTarget();
    const { admin } = enableController(target);
    const threshold = (tmpth: number, thsel = 0, tmpsel = 0) => encodeFeature(TemperatureThreshold, { tmpth, thsel, tmpsel });
    const get = (cdw11: number, sel = 0) => admin.run(getFeaturesSqe(FeatureId.TEMPERATURE_THRESHOLD, sel, cdw11));
    expect(get(threshold(0)).cdw0).toBe(0x0157);
    expect(get(threshold(0, ThresholdTypeSelect.UNDER)).cdw0).toBe(threshold(0, ThresholdTypeSelect.UNDER));
    expect(statusOf(admin.run(setFeaturesSqe(FeatureId.TEMPERATURE_THRESHOLD, threshold(350))))).toBe(OK);
    expect(statusOf(admin.run(setFeaturesSqe(FeatureId.TEMPERATURE_THRESHOLD, threshold(250, ThresholdTypeSelect.UNDER))))).toBe(OK);
    expect(decodeFeature(TemperatureThreshold, get(threshold(0)).cdw0).tmpth).toBe(350);
    expect(decodeFeature(TemperatureThreshold, get(threshold(0, ThresholdTypeSelect.UNDER)).cdw0).tmpth).toBe(250);
    expect(get(threshold(0), FeatureSelect.DEFAULT).cdw0).toBe(0x0157);
    // TMPSEL Fh (every sensor) sets the composite threshold; Get has no "every sensor" to report.
    expect(statusOf(admin.run(setFeaturesSqe(FeatureId.TEMPERATURE_THRESHOLD, threshold(360, 0, TemperatureSelect.ALL_SENSORS))))).toBe(OK);
    expect(decodeFeature(TemperatureThreshold, get(threshold(0)).cdw0).tmpth).toBe(360);
    // No temperature sensor besides the composite one, and THSEL 2-3 are reserved.
    expect(statusOf(get(threshold(0, 0, 1)))).toBe(INVALID_FIELD);
    expect(statusOf(get(threshold(0, 0, TemperatureSelect.ALL_SENSORS)))).toBe(INVALID_FIELD);
    expect(statusOf(admin.run(setFeaturesSqe(FeatureId.TEMPERATURE_THRESHOLD, threshold(300, 0, 8))))).toBe(INVALID_FIELD);
    expect(statusOf(admin.run(setFeaturesSqe(FeatureId.TEMPERATURE_THRESHOLD, threshold(300, 2))))).toBe(INVALID_FIELD);
  });

  it('a threshold the composite temperature crosses sets the SMART warning and, when enabled, reports a SMART event', () => {
    const { target } = makeTarget();
    const { admin } = enableController(target);
    const smart = () => parseSmartLog(admin.run(getLogPageSqe(LogPageId.SMART_HEALTH, 512)).data!);
    expect(smart().critical_warning & CriticalWarning.TEMPERATURE).toBe(0);
    admin.run(setFeaturesSqe(FeatureId.ASYNC_EVENT_CONFIGURATION, encodeFeature(AsyncEventConfiguration, { shcw: CriticalWarning.TEMPERATURE })));
    const aer = encodeCommand(AsyncEventRequest, Buffer.alloc(64), {});
    expect(admin.send(aer)).toBeUndefined();
    admin.run(setFeaturesSqe(FeatureId.TEMPERATURE_THRESHOLD, encodeFeature(TemperatureThreshold, { tmpth: 290 })));
    const event = admin.completions.find((c) => c.cid === aer.readUInt16LE(SqeOffset.CID));
    expect(statusOf(event!)).toBe(OK);
    expect(decodeAsyncEventCompletion(event!.cdw0)).toEqual({
      type: AsyncEventType.SMART,
      info: AsyncEventSmartInfo.TEMPERATURE_THRESHOLD,
      logPageId: LogPageId.SMART_HEALTH,
    });
    expect(smart().critical_warning & CriticalWarning.TEMPERATURE).toBe(CriticalWarning.TEMPERATURE);
    admin.run(setFeaturesSqe(FeatureId.TEMPERATURE_THRESHOLD, encodeFeature(TemperatureThreshold, { tmpth: 0x0157 })));
    expect(smart().critical_warning & CriticalWarning.TEMPERATURE).toBe(0);
  });

  it('error recovery is per namespace: TLER 0 by default, set per NSID or for all, DULBE refused', () => {
    const { target, subsystem } = makeTarget();
    subsystem.addNamespace(new MallocBlockDevice({ numBlocks: 16 }));
    const { admin } = enableController(target);
    const tler = (nsid: number) => admin.run(getFeaturesSqe(FeatureId.ERROR_RECOVERY, 0, 0, nsid));
    expect([tler(1).cdw0, tler(2).cdw0]).toEqual([0, 0]);
    expect(statusOf(admin.run(setFeaturesSqe(FeatureId.ERROR_RECOVERY, encodeFeature(ErrorRecovery, { tler: 5 }), false, 2)))).toBe(OK);
    expect([tler(1).cdw0, tler(2).cdw0]).toEqual([0, 5]);
    expect(statusOf(admin.run(setFeaturesSqe(FeatureId.ERROR_RECOVERY, encodeFeature(ErrorRecovery, { tler: 7 }), false, 0xffffffff)))).toBe(OK);
    expect([tler(1).cdw0, tler(2).cdw0]).toEqual([7, 7]);
    expect(admin.run(getFeaturesSqe(FeatureId.ERROR_RECOVERY, FeatureSelect.DEFAULT, 0, 1)).cdw0).toBe(0);
    expect(admin.run(getFeaturesSqe(FeatureId.ERROR_RECOVERY, FeatureSelect.SUPPORTED_CAPABILITIES, 0, 1)).cdw0).toBe(
      encodeBits32('FeatureCapabilities', FeatureCapabilities, { changeable: true, namespaceSpecific: true }),
    );
    expect(statusOf(tler(0))).toBe(INVALID_NS);
    expect(statusOf(tler(9))).toBe(INVALID_NS);
    expect(statusOf(tler(0xffffffff))).toBe(INVALID_NS);
    const dulbe = encodeFeature(ErrorRecovery, { dulbe: true });
    expect(statusOf(admin.run(setFeaturesSqe(FeatureId.ERROR_RECOVERY, dulbe, false, 1)))).toBe(INVALID_FIELD);
  });

  it('unknown features are INVALID FIELD; nothing is saveable', () => {
    const { target } = makeTarget();
    const { admin } = enableController(target);
    expect(statusOf(admin.run(getFeaturesSqe(FeatureId.LBA_RANGE_TYPE)))).toBe(INVALID_FIELD);
    expect(statusOf(admin.run(setFeaturesSqe(FeatureId.HOST_MEMORY_BUFFER, 1)))).toBe(INVALID_FIELD);
    expect(statusOf(admin.run(setFeaturesSqe(FeatureId.ARBITRATION, 0, true)))).toBe(
      st(1, AdminCommandStatus.FEATURE_ID_NOT_SAVEABLE),
    );
  });
});

describe('Get Log Page', () => {
  it('SMART counts host reads and writes and the data units they moved', () => {
    const { target } = makeTarget();
    const { admin, cntlid } = enableController(target);
    const { io } = connectIo(target, cntlid);
    const block = Buffer.alloc(512 * 8, 0xaa);
    for (let i = 0; i < 3; i++) io.run(blockSqe(IoOpcode.WRITE, 1, i * 8, 8), block);
    io.run(blockSqe(IoOpcode.READ, 1, 0, 8));
    const smart = parseSmartLog(admin.run(getLogPageSqe(LogPageId.SMART_HEALTH, 512)).data!);
    expect(smart).toMatchObject({ host_writes: 3n, host_reads: 1n, data_units_written: 1n, data_units_read: 1n, temperature: 300 });
    expect(smart.avail_spare).toBe(100);
  });

  it('the error log lists failed commands, newest first', () => {
    const { target } = makeTarget();
    const { admin, cntlid } = enableController(target);
    const { io } = connectIo(target, cntlid);
    const bad = io.run(blockSqe(IoOpcode.READ, 1, 4096, 1));
    const worse = io.run(blockSqe(IoOpcode.READ, 9, 0, 1));
    const log = parseErrorLog(admin.run(getLogPageSqe(LogPageId.ERROR_INFORMATION, 128 * 64)).data!);
    expect(log[0]).toMatchObject({ error_count: 2n, sqid: 1, cmdid: worse.cid, nsid: 9 });
    expect(log[0]!.status_field >> 1).toBe(0x4000 | GenericStatus.INVALID_NAMESPACE_OR_FORMAT);
    expect(log[1]).toMatchObject({ error_count: 1n, cmdid: bad.cid, lba: 4096n });
    expect(log[2]!.error_count).toBe(0n);
    expect(parseSmartLog(admin.run(getLogPageSqe(LogPageId.SMART_HEALTH, 512)).data!).num_err_log_entries).toBe(2n);
  });

  it('firmware slot 1 holds the firmware revision', () => {
    const { target } = makeTarget();
    const { admin } = enableController(target);
    expect(parseFirmwareSlotLog(admin.run(getLogPageSqe(LogPageId.FIRMWARE_SLOT, 512)).data!)).toMatchObject({
      afi: 1,
      frs1: target.settings.firmwareRevision,
    });
  });

  it('the effects log lists the commands that are dispatched', () => {
    const { target } = makeTarget();
    const { admin } = enableController(target);
    const log = parseCommandEffectsLog(admin.run(getLogPageSqe(LogPageId.COMMANDS_SUPPORTED_AND_EFFECTS, 4096)).data!);
    const admins = log.admin.flatMap((e, opc) => (e.csupp ? [opc] : []));
    expect(admins).toEqual([
      AdminOpcode.GET_LOG_PAGE,
      AdminOpcode.IDENTIFY,
      AdminOpcode.ABORT,
      AdminOpcode.SET_FEATURES,
      AdminOpcode.GET_FEATURES,
      AdminOpcode.ASYNC_EVENT_REQUEST,
      AdminOpcode.KEEP_ALIVE,
    ]);
    expect(log.io.flatMap((e, opc) => (e.csupp ? [opc] : []))).toEqual([0x00, 0x01, 0x02, 0x05, 0x08, 0x09]);
    expect(log.io[IoOpcode.WRITE]!.lbcc).toBe(true);
    expect(log.io[IoOpcode.READ]!.lbcc).toBe(false);
  });

  it('honours offset and length, and refuses unknown pages with INVALID LOG PAGE', () => {
    const { target } = makeTarget();
    const { admin } = enableController(target);
    const whole = admin.run(getLogPageSqe(LogPageId.FIRMWARE_SLOT, 512)).data!;
    const part = admin.run(getLogPageSqe(LogPageId.FIRMWARE_SLOT, 16, { offset: 8 })).data!;
    expect(part.equals(whole.subarray(8, 24))).toBe(true);
    const pastEnd = admin.run(getLogPageSqe(LogPageId.FIRMWARE_SLOT, 64, { offset: 480 })).data!;
    expect(pastEnd.subarray(32).equals(Buffer.alloc(32))).toBe(true);
    expect(statusOf(admin.run(getLogPageSqe(LogPageId.FIRMWARE_SLOT, 4, { offset: 1024 })))).toBe(INVALID_FIELD);
    expect(statusOf(admin.run(getLogPageSqe(LogPageId.ASYMMETRIC_NAMESPACE_ACCESS, 4096)))).toBe(
      st(1, AdminCommandStatus.INVALID_LOG_PAGE),
    );
    expect(statusOf(admin.run(getLogPageSqe(LogPageId.DISCOVERY, 1024)))).toBe(st(1, AdminCommandStatus.INVALID_LOG_PAGE));
  });
});

describe('Async events and the changed namespace list', () => {
  it('a namespace added at runtime completes an AER, and the log lists it until read without RAE', () => {
    const { target, subsystem } = makeTarget();
    const { admin } = enableController(target);
    admin.run(setFeaturesSqe(FeatureId.ASYNC_EVENT_CONFIGURATION, 0x100));
    expect(admin.send(adminSqe(AdminOpcode.ASYNC_EVENT_REQUEST))).toBeUndefined();
    const nsid = subsystem.addNamespace(new MallocBlockDevice({ numBlocks: 16 }));
    const aer = admin.completions.at(-1)!;
    expect(statusOf(aer)).toBe(OK);
    expect(decodeAsyncEventCompletion(aer.cdw0)).toEqual({
      type: AsyncEventType.NOTICE,
      info: AsyncEventNoticeInfo.NS_ATTRIBUTE_CHANGED,
      logPageId: LogPageId.CHANGED_NAMESPACE_LIST,
    });
    const retained = admin.run(getLogPageSqe(LogPageId.CHANGED_NAMESPACE_LIST, 4096, { rae: true }));
    expect(parseChangedNamespaceList(retained.data!).nsids).toEqual([nsid]);
    // Until the log is read without RAE, a second change raises no event.
    expect(admin.send(adminSqe(AdminOpcode.ASYNC_EVENT_REQUEST))).toBeUndefined();
    const completed = admin.completions.length;
    subsystem.removeNamespace(1);
    expect(admin.completions).toHaveLength(completed);
    const read = admin.run(getLogPageSqe(LogPageId.CHANGED_NAMESPACE_LIST, 4096));
    expect(parseChangedNamespaceList(read.data!).nsids).toEqual([1, nsid]);
    expect(parseChangedNamespaceList(admin.run(getLogPageSqe(LogPageId.CHANGED_NAMESPACE_LIST, 4096)).data!).nsids).toEqual([]);
    // Unmasked: the next change completes the AER that was waiting.
    subsystem.addNamespace(new MallocBlockDevice({ numBlocks: 16 }), 9);
    expect(statusOf(admin.completions.at(-1)!)).toBe(OK);
    expect(decodeAsyncEventCompletion(admin.completions.at(-1)!.cdw0).logPageId).toBe(LogPageId.CHANGED_NAMESPACE_LIST);
  });

  it('without the notice enabled the list still grows but no AER completes', () => {
    const { target, subsystem } = makeTarget();
    const { admin } = enableController(target);
    expect(admin.send(adminSqe(AdminOpcode.ASYNC_EVENT_REQUEST))).toBeUndefined();
    const completed = admin.completions.length;
    subsystem.addNamespace(new MallocBlockDevice({ numBlocks: 16 }), 4);
    expect(admin.completions).toHaveLength(completed);
    expect(parseChangedNamespaceList(admin.run(getLogPageSqe(LogPageId.CHANGED_NAMESPACE_LIST, 4096)).data!).nsids).toEqual([4]);
  });

  it('takes AERL + 1 AERs, refuses more, and aborts them when the association ends', () => {
    const { target } = makeTarget();
    const { admin } = enableController(target);
    for (let i = 0; i < 4; i++) expect(admin.send(adminSqe(AdminOpcode.ASYNC_EVENT_REQUEST))).toBeUndefined();
    const fifth = admin.run(adminSqe(AdminOpcode.ASYNC_EVENT_REQUEST));
    expect(statusOf(fifth)).toBe(st(1, AdminCommandStatus.ASYNC_EVENT_REQUEST_LIMIT_EXCEEDED));
    const before = admin.completions.length;
    target.deleteSubsystem(SUBNQN);
    const aborted = admin.completions.slice(before);
    expect(aborted.map(statusOf)).toEqual(Array(4).fill(st(0, GenericStatus.ABORTED_SQ_DELETION)));
    expect(aborted.every((c) => !c.dnr)).toBe(true);
    expect(admin.terminations).toHaveLength(1);
  });
});

describe('other admin commands', () => {
  it('Keep Alive succeeds with a KATO and is KEEP ALIVE TIMEOUT INVALID without one', () => {
    const { target } = makeTarget();
    const { admin } = enableController(target);
    expect(statusOf(admin.run(adminSqe(AdminOpcode.KEEP_ALIVE)))).toBe(st(0, GenericStatus.KEEP_ALIVE_TIMEOUT_INVALID));
    const withKato = enableController(target, SUBNQN, { kato: 5000 });
    expect(statusOf(withKato.admin.run(adminSqe(AdminOpcode.KEEP_ALIVE)))).toBe(OK);
    target.close();
  });

  it('Abort completes with "not aborted"; unknown opcodes are INVALID OPCODE', () => {
    const { target } = makeTarget();
    const { admin } = enableController(target);
    const abort = admin.run(adminSqe(AdminOpcode.ABORT));
    expect(statusOf(abort)).toBe(OK);
    expect(abort.cdw0 & 1).toBe(1);
    expect(statusOf(admin.run(adminSqe(AdminOpcode.FORMAT_NVM)))).toBe(st(0, GenericStatus.INVALID_OPCODE));
    expect(statusOf(admin.run(adminSqe(AdminOpcode.CREATE_IO_SQ)))).toBe(st(0, GenericStatus.INVALID_OPCODE));
  });

  it('an exception inside a command becomes INTERNAL DEVICE ERROR and a log line, and the queue goes on', () => {
    const logs: string[] = [];
    const { target, subsystem } = makeTarget({ logs });
    const { admin } = enableController(target);
    Object.defineProperty(subsystem, 'serialNumber', { get: () => { throw new Error('boom'); } });
    const c = admin.run(identifySqe(Cns.CONTROLLER));
    expect(statusOf(c)).toBe(st(0, GenericStatus.INTERNAL_ERROR));
    expect(logs.some((l) => l.startsWith('error:') && l.includes('boom'))).toBe(true);
    expect(statusOf(admin.run(identifySqe(Cns.NAMESPACE, 1)))).toBe(OK);
  });
});

