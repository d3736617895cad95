import { describe, expect, it } from 'vitest';
import { bigintToJson, identifyReportToJson, toJson } from '../../../src/report/identify-json.js';
import { grantedIoQueues, identifyReportFromCapture } from '../../helpers/identify-report-from-capture.js';
import { readVector } from '../../helpers/nvme-tcp-capture.js';

const SPDK = 'spdk-identify-to-spdk-nvmf-tgt-tcp';
const LINUX = 'linux-host-to-linux-nvmet-tcp-plain';

describe('JSON value conversion', () => {
  it('keeps safe bigints as numbers and turns larger ones into decimal strings', () => {
    expect(bigintToJson(2n ** 53n - 1n)).toBe(2 ** 53 - 1);
    expect(bigintToJson(2n ** 64n)).toBe('18446744073709551616');
    expect(toJson({ a: 1n, b: new Uint8Array([0xde, 0xad]), c: [2n ** 70n], d: undefined })).toEqual({
      a: 1,
      b: 'dead',
      c: ['1180591620717411303424'],
    });
  });
});

describe('identifyReportToJson', () => {
  it('gives the Linux nvmet controller exactly as `nvme id-ctrl -o json` printed it, and its namespace 2 as `nvme id-ns`', () => {
    const report = identifyReportFromCapture(LINUX, 1, { trid: 'trtype:TCP traddr:127.0.0.1 trsvcid:4420 subnqn:nqn.2024-01.io.lab:sub1' });
    const json = identifyReportToJson(report);
    expect(json.controller).toEqual(JSON.parse(readVector('nvme-cli/id-ctrl-plain.json').toString('utf8')));
    const ns2 = (json.namespaces as Record<string, unknown>[]).find((n) => n.nsid === 2)!;
    const { nsid, descriptors, ...idNs } = ns2;
    expect(nsid).toBe(2);
    expect(descriptors).toEqual({ uuid: 'ae331e38-a55a-433b-9446-9c5a26324dd7', csi: 0 });
    expect(idNs).toEqual(JSON.parse(readVector('nvme-cli/id-ns-plain.json').toString('utf8')));
  });

  it('decodes registers, keeps only used error entries and supported opcodes, and survives JSON.stringify', () => {
    const report = identifyReportFromCapture(SPDK, 0, { trid: 'trtype:TCP traddr:127.0.0.1 trsvcid:4420 subnqn:nqn.2016-06.io.spdk:cnode1' });
    report.maxIoQueues = grantedIoQueues(report);
    const json = JSON.parse(JSON.stringify(identifyReportToJson(report))) as Record<string, any>;
    expect(json.registers.cap).toMatchObject({ mqes: 127, cqr: true, to: 30 });
    expect(json.registers.vs).toEqual({ raw: '0x00020000', version: '2.0' });
    expect(json.maxIoQueues).toBe(127);
    expect(json.logs.errors).toEqual([]);
    expect(json.logs.effects.admin.map((e: { opcode: number }) => e.opcode)).toEqual([2, 6, 8, 9, 10, 12, 24]);
    expect(json.logs.health.temperature).toBe(0);
    expect(json.features.numberOfQueues).toEqual({ nsqr: 127, ncqr: 127 });
    expect(json.namespaces[0].descriptors.uuid).toBe('5a0c0b2e-1d2f-4e3a-9b4c-000000000001');
  });

  it('includes the discovery log of a discovery controller', () => {
    const report = identifyReportFromCapture(SPDK, 1, { trid: 'trtype:TCP traddr:127.0.0.1 trsvcid:4420' });
    const json = JSON.parse(JSON.stringify(identifyReportToJson(report))) as Record<string, any>;
    expect(json.discovery.numrec).toBe(2);
    expect(json.discovery.entries[1].subnqn).toBe('nqn.2016-06.io.spdk:cnode1');
    expect(json.discovery.entries[1].tsas).toEqual({ sectype: 0 });
  });
});
