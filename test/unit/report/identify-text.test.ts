import { describe, expect, it } from 'vitest';
import { formatIdentifyText } from '../../../src/report/identify-text.js';
import { defaultIdentifyController } from '../../../src/spec/identify-controller.js';
import { defaultIdentifyNamespace } from '../../../src/spec/identify-namespace.js';
import { emptyErrorEntry, emptyFirmwareSlotLog, emptySmartLog } from '../../../src/spec/log-pages.js';
import { encodeCap } from '../../../src/spec/registers.js';
import { grantedIoQueues, identifyReportFromCapture } from '../../helpers/identify-report-from-capture.js';
import { readVector } from '../../helpers/nvme-tcp-capture.js';
import type { IdentifyReport } from '../../../src/report/identify-report.js';

const SPDK = 'spdk-identify-to-spdk-nvmf-tgt-tcp';

/** SPDK's default num_io_queues: the discovery controller is never sent Set Features Number of Queues. */
const SPDK_DEFAULT_IO_QUEUES = 1024;

function expectSameLines(ours: string, vectorPath: string): void {
  const want = readVector(vectorPath).toString('utf8').split('\n');
  const got = ours.split('\n');
  got.forEach((line, i) => expect(line, `line ${i + 1}`).toBe(want[i]));
  expect(got.length).toBe(want.length);
}

describe('formatIdentifyText against spdk_nvme_identify', () => {
  it('reproduces spdk-identify.txt from the bytes of its capture, line for line', () => {
    const report = identifyReportFromCapture(SPDK, 0, { trid: 'trtype:TCP traddr:127.0.0.1 trsvcid:4420 subnqn:nqn.2016-06.io.spdk:cnode1' });
    report.maxIoQueues = grantedIoQueues(report);
    expect(report.maxIoQueues).toBe(127);
    expectSameLines(formatIdentifyText(report), 'spdk/spdk-identify.txt');
  });

  it('reproduces spdk-identify-discovery.txt (discovery controller and its log), line for line', () => {
    const report = identifyReportFromCapture(SPDK, 1, { trid: 'trtype:TCP traddr:127.0.0.1 trsvcid:4420', maxIoQueues: SPDK_DEFAULT_IO_QUEUES });
    expect(report.discovery?.entries).toHaveLength(2);
    expectSameLines(formatIdentifyText(report), 'spdk/spdk-identify-discovery.txt');
  });
});

describe('formatIdentifyText beyond the captures', () => {
  const base: IdentifyReport = {
    trid: { trtype: 'PCIe', traddr: '0000:04:00.0' },
    registers: { cap: encodeCap({ mqes: 1023, to: 20, ams: 1, mpsmin: 0, mpsmax: 4, css: 1 }), vs: 0x00010400 },
    controller: { ...defaultIdentifyController(), mdts: 0, elpe: 3 },
    namespaces: [{ nsid: 1, data: defaultIdentifyNamespace(1n << 21n) }],
  };

  it('prints the PCIe banner, unlimited MDTS and, with WRR, the priority weights', () => {
    const text = formatIdentifyText({ ...base, features: { arbitration: { ab: 7, lpw: 3, mpw: 7, hpw: 15 } } });
    expect(text).toContain('NVMe Controller at 0000:04:00.0\n');
    expect(text).toContain('Max Data Transfer Size:                Unlimited\n');
    expect(text).toContain('NVMe Specification Version (VS):       1.4\n');
    expect(text).toContain('Arbitration Burst:           no limit\nLow Priority Weight:         4\n');
    expect(text).toContain('Size (in LBAs):                        2097152 (1GiB)\n');
  });

  it('prints non-empty error entries, firmware slots, health warnings and 128-bit counters', () => {
    const err = { ...emptyErrorEntry(), error_count: 5n, sqid: 1, cmdid: 0x22, status_field: (0x4002 << 1) | 1, lba: 0x10n, nsid: 1 };
    const text = formatIdentifyText({
      ...base,
      features: { temperatureThreshold: { tmpth: 343, tmpsel: 0, thsel: 0 } },
      logs: {
        errors: [emptyErrorEntry(), err],
        firmwareSlot: { ...emptyFirmwareSlotLog(), afi: 0x21, frs1: '1.0', frs2: '2.0' },
        health: { ...emptySmartLog(), critical_warning: 0x0a, temperature: 310, data_units_read: 1n << 70n, temp_sensor2: 300 },
      },
    });
    expect(text).toContain('-----------\nEntry: 1\nError Count:            0x5\n');
    expect(text).toContain('Status Code:            0x2\nStatus Code Type:       0x0\nDo Not Retry:           1\n');
    expect(text).toContain('Active slot:                 1\nNext controller reset slot:  2\nSlot 1 Firmware Revision:    1.0\nSlot 2 Firmware Revision:    2.0\n');
    expect(text).toContain('  Temperature:               WARNING\n');
    expect(text).toContain('  Read Only:                 Yes\n');
    expect(text).toContain('Current Temperature:         310 Kelvin (37 Celsius)\n');
    expect(text).toContain('Data Units Read:             0x400000000000000000\n');
    expect(text).toContain('Temperature Sensor 2:        300 Kelvin (27 Celsius)\n');
  });

  it('reads strings the way SPDK does: trailing spaces dropped, control bytes as dots', () => {
    const c = { ...base.controller, sn: 'AB\u0001C  ' };
    expect(formatIdentifyText({ ...base, controller: c })).toContain('Serial Number:                         AB.C\n');
  });
});
