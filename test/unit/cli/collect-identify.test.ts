import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { collectIdentifyReport } from '../../../src/cli/collect-identify.js';
import { connect, type Controller } from '../../../src/nvme-driver/controller.js';
import { parseTransportId } from '../../../src/nvme-driver/transport-id.js';
import { identifyReportToJson } from '../../../src/report/identify-json.js';
import { formatIdentifyText } from '../../../src/report/identify-text.js';
import { decodeCommand, GetFeatures, GetLogPage } from '../../../src/spec/commands.js';
import { DiscAdrFam, DiscSubType, DiscTrType, type DiscoveryLogEntry } from '../../../src/spec/discovery-log.js';
import {
  Arbitration,
  encodeFeature,
  ErrorRecovery,
  FeatureId,
  NumberOfQueues,
  PowerManagement,
  TemperatureThreshold,
  VolatileWriteCache,
} from '../../../src/spec/features.js';
import { buildIdentifyController } from '../../../src/spec/identify-controller.js';
import { buildIdentifyNamespace } from '../../../src/spec/identify-namespace.js';
import {
  buildCommandEffectsLog,
  buildErrorLog,
  buildFirmwareSlotLog,
  buildSmartLog,
  emptyCommandEffectsLog,
  emptyErrorEntry,
  emptyFirmwareSlotLog,
  emptySmartLog,
  ERROR_ENTRY_SIZE,
  LogPageId,
} from '../../../src/spec/log-pages.js';
import { AdminOpcode } from '../../../src/spec/opcodes.js';
import { SqeOffset } from '../../../src/spec/sqe.js';
import { GenericStatus, NvmeStatusError, StatusCodeType } from '../../../src/spec/status.js';
import { registerTransport } from '../../../src/transport/transport.js';
import { FakeController, FakeTransport, type Answer } from '../driver/fake-controller.js';

const SUBNQN = 'nqn.2024-01.io.nvmekit:fake';
const TRID = `trtype:RDMA adrfam:IPv4 traddr:127.0.0.1 trsvcid:4420 subnqn:${SUBNQN}`;
const DISCOVERY_TRID = 'trtype:RDMA adrfam:IPv4 traddr:127.0.0.1 trsvcid:4420';
const HOSTNQN = 'nqn.2014-08.org.nvmexpress:uuid:6b1f5a3e-2f0e-4a63-9d8e-0c4c2c1b7d10';
const ELPE = 3;

const invalidField: Answer = { status: { sct: StatusCodeType.GENERIC, sc: GenericStatus.INVALID_FIELD, dnr: true } };

/** Log pages and feature values served by {@link FeatureFake}. */
const LOGS = new Map<number, Buffer>([
  [
    LogPageId.ERROR_INFORMATION,
    buildErrorLog([{ ...emptyErrorEntry(), error_count: 7n, sqid: 1, cmdid: 9, status_field: (0x80 << 1) | 1, lba: 42n, nsid: 1 }], ELPE + 1),
  ],
  [LogPageId.SMART_HEALTH, buildSmartLog({ ...emptySmartLog(), temperature: 310, avail_spare: 100, power_cycles: 3n })],
  [LogPageId.FIRMWARE_SLOT, buildFirmwareSlotLog({ ...emptyFirmwareSlotLog(), afi: 1, frs1: 'FW-1.0  ' })],
  [LogPageId.COMMANDS_SUPPORTED_AND_EFFECTS, effectsLog()],
]);

function effectsLog(): Buffer {
  const log = emptyCommandEffectsLog();
  log.admin[AdminOpcode.IDENTIFY] = { ...log.admin[AdminOpcode.IDENTIFY]!, csupp: true };
  return buildCommandEffectsLog(log);
}

const FEATURES = new Map<number, number>([
  [FeatureId.ARBITRATION, encodeFeature(Arbitration, { ab: 3 })],
  [FeatureId.POWER_MANAGEMENT, encodeFeature(PowerManagement, { ps: 0 })],
  [FeatureId.TEMPERATURE_THRESHOLD, encodeFeature(TemperatureThreshold, { tmpth: 343 })],
  [FeatureId.NUMBER_OF_QUEUES, encodeFeature(NumberOfQueues, { nsqr: 8, ncqr: 8 })],
  [FeatureId.VOLATILE_WRITE_CACHE, encodeFeature(VolatileWriteCache, { wce: true })],
]);

/** The driver's fake, also answering the Get Features and log pages identify reads (Error Recovery for NSID 1 only). */
class FeatureFake extends FakeController {
  override execute(qid: number, sqe: Buffer, data: Buffer | null): Answer {
    const opc = sqe[SqeOffset.OPC];
    if (qid === 0 && opc === AdminOpcode.GET_FEATURES) {
      const { fid, nsid } = decodeCommand(GetFeatures, sqe);
      if (fid === FeatureId.ERROR_RECOVERY) return nsid === 1 ? { cdw0: encodeFeature(ErrorRecovery, { tler: 5 }) } : invalidField;
      const value = FEATURES.get(fid);
      if (value !== undefined) return { cdw0: value };
    }
    if (qid === 0 && opc === AdminOpcode.GET_LOG_PAGE) {
      const { lid, offset, numd } = decodeCommand(GetLogPage, sqe);
      const page = LOGS.get(lid);
      if (page) {
        data!.fill(0);
        page.copy(data!, 0, offset, Math.min(page.length, offset + numd * 4));
        return {};
      }
    }
    return super.execute(qid, sqe, data);
  }
}

let fake: FakeController;
const open: Controller[] = [];

function useFake(f: FakeController): void {
  fake = f;
  fake.identify = { ...fake.identify, elpe: ELPE, lpa: 0x02 };
  fake.addNamespace(1, 2048, 9, { nguid: '0123456789abcdef0123456789abcdef', uuid: '5a0c0b2e-1d2f-4e3a-9b4c-000000000001' });
  fake.addNamespace(2, 1024, 12);
  registerTransport(new FakeTransport(fake));
}

async function attach(trid = TRID): Promise<Controller> {
  const c = await connect(trid, { hostnqn: HOSTNQN, keepAliveTimeoutMs: 0 });
  open.push(c);
  return c;
}

afterEach(async () => {
  await Promise.all(open.splice(0).map((c) => c.detach()));
  expect(fake.faults).toEqual([]);
});

describe('collectIdentifyReport on an I/O controller', () => {
  beforeEach(() => useFake(new FeatureFake()));

  it('reads registers, features, logs and namespaces', async () => {
    const c = await attach();
    const report = await collectIdentifyReport(c, parseTransportId(TRID));
    expect(report.controller.subnqn).toBe(SUBNQN);
    expect(report.registers.vs).toBe(0x00010400);
    expect(report.registers.cc).toBe(fake.cc);
    expect(report.registers.csts).toBe(fake.csts);
    expect(report.maxIoQueues).toBe(c.maxIoQueues);
    expect(report.features).toEqual({
      arbitration: { ab: 3, lpw: 0, mpw: 0, hpw: 0 },
      powerManagement: { ps: 0, wh: 0 },
      temperatureThreshold: { tmpth: 343, tmpsel: 0, thsel: 0 },
      numberOfQueues: { nsqr: 8, ncqr: 8 },
      keepAliveTimer: { kato: 0 },
      volatileWriteCache: { wce: true },
    });
    expect(report.logs?.errors).toHaveLength(ELPE + 1);
    expect(report.logs?.errors?.[0]).toMatchObject({ error_count: 7n, cmdid: 9, lba: 42n });
    expect(report.logs?.health?.temperature).toBe(310);
    expect(report.logs?.firmwareSlot?.frs1).toBe('FW-1.0');
    expect(report.logs?.effects?.admin[AdminOpcode.IDENTIFY]?.csupp).toBe(true);
    expect(report.namespaces.map((ns) => ns.nsid)).toEqual([1, 2]);
    expect(report.namespaces[0]).toMatchObject({
      descriptors: { nguid: '0123456789abcdef0123456789abcdef', uuid: '5a0c0b2e-1d2f-4e3a-9b4c-000000000001' },
      errorRecovery: { tler: 5, dulbe: false },
    });
    expect(report.namespaces[0]!.data.nsze).toBe(2048n);
    expect(report.namespaces[1]).not.toHaveProperty('descriptors');
    expect(report.namespaces[1]).not.toHaveProperty('errorRecovery');
  });

  it('sends what SPDK sends: ELPE + 1 error entries, the global NSID on logs, the NSID on Error Recovery', async () => {
    const c = await attach();
    const before = fake.received.length;
    await collectIdentifyReport(c, TRID);
    const sent = fake.received.slice(before).filter((r) => r.qid === 0);
    const logs = sent.filter((r) => r.sqe[SqeOffset.OPC] === AdminOpcode.GET_LOG_PAGE).map((r) => decodeCommand(GetLogPage, r.sqe));
    expect(logs.map((l) => [l.lid, l.numd * 4, l.nsid])).toEqual([
      [LogPageId.ERROR_INFORMATION, (ELPE + 1) * ERROR_ENTRY_SIZE, 0xffffffff],
      [LogPageId.SMART_HEALTH, 512, 0xffffffff],
      [LogPageId.FIRMWARE_SLOT, 512, 0xffffffff],
      [LogPageId.COMMANDS_SUPPORTED_AND_EFFECTS, 4096, 0xffffffff],
    ]);
    const recovery = sent
      .filter((r) => r.sqe[SqeOffset.OPC] === AdminOpcode.GET_FEATURES)
      .map((r) => decodeCommand(GetFeatures, r.sqe))
      .filter((f) => f.fid === FeatureId.ERROR_RECOVERY);
    expect(recovery.map((f) => f.nsid)).toEqual([1, 2]);
  });

  it('gives the formatters what they need to print every section', async () => {
    const c = await attach();
    const report = await collectIdentifyReport(c, TRID);
    const text = formatIdentifyText(report);
    expect(text).toContain(`NVMeoF Controller at RDMA (addr:127.0.0.1 subnqn:${SUBNQN})`);
    for (const section of ['Commands Supported and Effects', 'Arbitration', 'Power Management', 'Health Information', 'Number of Queues']) {
      expect(text).toContain(`\n${section}\n`);
    }
    expect(text).toContain('Slot 1 Firmware Revision:    FW-1.0');
    expect(text).toMatch(/Entry: 0\nError Count: +0x7\n/);
    expect(text).toMatch(/Namespace ID:1\nError Recovery Timeout: +500 milliseconds\n/);
    expect(text).toContain('Namespace ID:2\nCommand Set Identifier');
    const json = JSON.parse(JSON.stringify(identifyReportToJson(report)));
    expect(json.namespaces.map((ns: { nsid: number; nsze: number }) => [ns.nsid, ns.nsze])).toEqual([
      [1, 2048],
      [2, 1024],
    ]);
  });

  it('hands out the raw bytes behind the report when asked', async () => {
    const c = await attach();
    const raw = new Map<string, Buffer>();
    await collectIdentifyReport(c, TRID, { onRawData: (label, data) => raw.set(label, data) });
    expect([...raw.keys()]).toEqual([
      'Identify Controller',
      'Error Information log',
      'SMART / Health log',
      'Firmware Slot log',
      'Commands Supported and Effects log',
      'Identify Namespace 1',
      'Identify Namespace 2',
    ]);
    expect(raw.get('Identify Controller')).toEqual(buildIdentifyController(fake.identify));
    expect(raw.get('Identify Namespace 2')).toEqual(buildIdentifyNamespace(fake.namespaces.get(2)!.data));
    expect(raw.get('SMART / Health log')).toEqual(LOGS.get(LogPageId.SMART_HEALTH));
  });
});

describe('collectIdentifyReport with a controller that rejects the optional commands', () => {
  beforeEach(() => useFake(new FakeController()));

  it('leaves the rejected sections out and says which commands were rejected', async () => {
    const c = await attach();
    const rejected: [string, string][] = [];
    const report = await collectIdentifyReport(c, TRID, {
      onRejected: (what, err) => {
        expect(err).toBeInstanceOf(NvmeStatusError);
        rejected.push([what, err.statusName]);
      },
    });
    // The driver's fake knows only Keep Alive Timer among the features, and no log page but discovery.
    expect(report.features).toEqual({ keepAliveTimer: { kato: 0 } });
    expect(report.logs).toEqual({});
    expect(report.namespaces.map((ns) => ns.errorRecovery)).toEqual([undefined, undefined]);
    expect(rejected).toEqual([
      ['Get Features ARBITRATION', 'INVALID FIELD'],
      ['Get Features POWER MANAGEMENT', 'INVALID FIELD'],
      ['Get Features TEMPERATURE THRESHOLD', 'INVALID FIELD'],
      ['Get Features NUMBER OF QUEUES', 'INVALID FIELD'],
      ['Get Features ASYNC EVENT CONFIGURATION', 'INVALID FIELD'],
      ['Get Features VOLATILE WRITE CACHE', 'INVALID FIELD'],
      ['Get Log Page Error Information', 'INVALID LOG PAGE'],
      ['Get Log Page SMART / Health', 'INVALID LOG PAGE'],
      ['Get Log Page Firmware Slot', 'INVALID LOG PAGE'],
      ['Get Log Page Commands Supported and Effects', 'INVALID LOG PAGE'],
      ['Get Features ERROR_RECOVERY', 'INVALID FIELD'],
      ['Get Features ERROR_RECOVERY', 'INVALID FIELD'],
    ]);
    const text = formatIdentifyText(report);
    expect(text).not.toContain('\nArbitration\n');
    expect(text).not.toContain('\nHealth Information\n');
    expect(text).toContain('Namespace ID:1\nCommand Set Identifier');
  });

  it('does not ask for the volatile write cache or the effects log when the controller has neither', async () => {
    fake.identify = { ...fake.identify, vwc: 0, lpa: 0 };
    const c = await attach();
    const rejected: string[] = [];
    await collectIdentifyReport(c, TRID, { onRejected: (what) => rejected.push(what) });
    expect(rejected).not.toContain('Get Features VOLATILE WRITE CACHE');
    expect(rejected).not.toContain('Get Log Page Commands Supported and Effects');
  });

  it('lets a lost connection through instead of leaving sections out', async () => {
    const c = await attach();
    fake.holdAdmin.add(AdminOpcode.GET_LOG_PAGE);
    const collecting = collectIdentifyReport(c, TRID);
    await new Promise((resolve) => setTimeout(resolve, 0));
    fake.qpairs[0]!.die(new Error('socket closed'));
    await expect(collecting).rejects.toThrow();
  });
});

describe('collectIdentifyReport on a discovery controller', () => {
  const entry = (subnqn: string, subtype: number): DiscoveryLogEntry => ({
    trtype: DiscTrType.TCP,
    adrfam: DiscAdrFam.IPV4,
    subtype,
    treq: 0,
    portid: 1,
    cntlid: 0xffff,
    asqsz: 32,
    eflags: 0,
    trsvcid: '4420',
    subnqn,
    traddr: '127.0.0.1',
    tsas: { raw: '00'.repeat(256) },
  });

  beforeEach(() => {
    useFake(new FeatureFake());
    fake.discoveryEntries = [entry('nqn.2014-08.org.nvmexpress.discovery', DiscSubType.CURRENT_DISCOVERY), entry(SUBNQN, DiscSubType.NVME)];
    fake.genctr = 5n;
  });

  it('reads the Discovery Log Page and nothing an I/O controller would be asked', async () => {
    const c = await attach(DISCOVERY_TRID);
    const before = fake.received.length;
    const raw: string[] = [];
    const report = await collectIdentifyReport(c, parseTransportId(DISCOVERY_TRID), { onRawData: (label) => raw.push(label) });
    expect(report.discovery?.genctr).toBe(5n);
    expect(report.discovery?.entries.map((e) => [e.subtype, e.subnqn])).toEqual([
      [DiscSubType.CURRENT_DISCOVERY, 'nqn.2014-08.org.nvmexpress.discovery'],
      [DiscSubType.NVME, SUBNQN],
    ]);
    expect(report.features).toBeUndefined();
    expect(report.logs).toBeUndefined();
    expect(report.namespaces).toEqual([]);
    expect(raw).toEqual(['Identify Controller', 'Discovery Log Page']);
    const opcodes = fake.received.slice(before).map((r) => r.sqe[SqeOffset.OPC]);
    expect(opcodes).not.toContain(AdminOpcode.GET_FEATURES);
    const text = formatIdentifyText(report);
    expect(text).toContain('NVMeoF Controller at RDMA (addr:127.0.0.1 subnqn:nqn.2014-08.org.nvmexpress.discovery)');
    expect(text).toContain('Max Number of I/O Queues:              1024');
    expect(text).toMatch(/Discovery Log Page\n=+\nGeneration Counter: +5\nNumber of Records: +2\n/);
    expect(text).toContain(`NVM Subsystem Qualified Name:          ${SUBNQN}`);
  });
});
