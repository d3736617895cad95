import { describe, expect, it } from 'vitest';
import {
  buildIdentifyController,
  CONTROLLER_FIELDS,
  defaultIdentifyController,
  parseIdentifyController,
  POWER_STATE_FIELDS,
  PSD_OFFSET,
} from '../../../src/spec/identify-controller.js';
import { Cns, IDENTIFY_DATA_SIZE } from '../../../src/spec/identify.js';
import { identifyControllerToNvmeCliJson } from '../../../src/report/identify-json.js';
import { identifyPayloads, loadCapturedCommands, readVector } from '../../helpers/nvme-tcp-capture.js';

const LINUX = 'linux-host-to-linux-nvmet-tcp-plain';
const SPDK = 'spdk-identify-to-spdk-nvmf-tgt-tcp';

function offsetOf(key: string): number {
  const f = CONTROLLER_FIELDS.find((x) => x.key === key);
  if (!f) throw new Error(key);
  return f.offset;
}

describe('Identify Controller layout', () => {
  it('pins the offsets the spec gives (spot checks across the page)', () => {
    expect(offsetOf('sn')).toBe(4);
    expect(offsetOf('mn')).toBe(24);
    expect(offsetOf('fr')).toBe(64);
    expect(offsetOf('cntlid')).toBe(78);
    expect(offsetOf('ver')).toBe(80);
    expect(offsetOf('ctratt')).toBe(96);
    expect(offsetOf('cntrltype')).toBe(111);
    expect(offsetOf('oacs')).toBe(256);
    expect(offsetOf('tnvmcap')).toBe(280);
    expect(offsetOf('kas')).toBe(320);
    expect(offsetOf('megcap')).toBe(368);
    expect(offsetOf('sqes')).toBe(512);
    expect(offsetOf('nn')).toBe(516);
    expect(offsetOf('sgls')).toBe(536);
    expect(offsetOf('subnqn')).toBe(768);
    expect(offsetOf('ioccsz')).toBe(1792);
    expect(offsetOf('ofcs')).toBe(1804);
    expect(PSD_OFFSET).toBe(2048);
    expect(POWER_STATE_FIELDS.find((f) => f.key === 'active_power')?.offset).toBe(20);
  });

  it('has every key nvme-cli prints, in the same order', () => {
    const vector = JSON.parse(readVector('nvme-cli/id-ctrl-plain.json').toString('utf8')) as Record<string, unknown>;
    const ours = Object.keys(identifyControllerToNvmeCliJson(defaultIdentifyController()));
    expect(ours).toEqual(Object.keys(vector).filter((k) => k !== 'subnqn'));
  });
});

describe('Identify Controller codec', () => {
  it('round-trips parse(build(x)) for a populated controller', () => {
    const c = {
      ...defaultIdentifyController(),
      vid: 0x8086,
      sn: 'SPDK00000000000001',
      mn: 'SPDK_Controller1',
      fr: '26.05',
      ieee: 0x5cd2e4,
      cntlid: 0xfffe,
      tnvmcap: (1n << 100n) + 5n,
      fguid: '01234567-89ab-cdef-0123-456789abcdef',
      subnqn: 'nqn.2016-06.io.spdk:cnode1',
      npss: 1,
      psds: [
        { ...defaultIdentifyController().psds[0]!, max_power: 2500, flags: 1, idle_scale: 2, active_power_work: 5, active_scale: 1 },
        { ...defaultIdentifyController().psds[0]!, entry_lat: 100, exit_lat: 200 },
      ],
    };
    const buf = buildIdentifyController(c);
    expect(buf.length).toBe(IDENTIFY_DATA_SIZE);
    expect(buf.toString('latin1', 4, 24)).toBe('SPDK00000000000001  ');
    expect([buf[73], buf[74], buf[75]]).toEqual([0xe4, 0xd2, 0x5c]);
    expect(buf[2048 + 22]).toBe(0x45);
    expect(parseIdentifyController(buf)).toEqual(c);
  });

  it('rejects a value that does not fit its field, naming the field', () => {
    expect(() => buildIdentifyController({ ...defaultIdentifyController(), cntlid: 0x10000 })).toThrow(/cntlid/);
    expect(() => buildIdentifyController({ ...defaultIdentifyController(), sn: 'x'.repeat(21) })).toThrow(/sn/);
    expect(() => buildIdentifyController({ ...defaultIdentifyController(), npss: 1 })).toThrow(/psds: expected npss \+ 1 = 2/);
  });

  it('rejects a short buffer', () => {
    expect(() => parseIdentifyController(new Uint8Array(100))).toThrow(/Identify Controller/);
  });
});

describe('Identify Controller golden vectors', () => {
  const linux = identifyPayloads(loadCapturedCommands(LINUX, 1), Cns.CONTROLLER);

  it('the Linux nvmet capture decodes to what nvme-cli printed (every key)', () => {
    expect(linux.length).toBeGreaterThan(0);
    const vector = JSON.parse(readVector('nvme-cli/id-ctrl-plain.json').toString('utf8')) as unknown;
    for (const cmd of linux) {
      expect(identifyControllerToNvmeCliJson(parseIdentifyController(cmd.data))).toEqual(vector);
    }
  });

  it('build(parse(x)) reproduces the captured bytes (Linux nvmet, SPDK I/O and discovery controllers)', () => {
    const spdk = [0, 1].flatMap((conn) => identifyPayloads(loadCapturedCommands(SPDK, conn), Cns.CONTROLLER));
    expect(spdk.length).toBe(3);
    for (const cmd of [...linux, ...spdk]) {
      expect(cmd.data.length).toBe(IDENTIFY_DATA_SIZE);
      expect(buildIdentifyController(parseIdentifyController(cmd.data)).equals(cmd.data)).toBe(true);
    }
  });

  it('keeps non-printable bytes of ASCII fields (SPDK discovery controller has a NUL serial number)', () => {
    const [disc] = identifyPayloads(loadCapturedCommands(SPDK, 1), Cns.CONTROLLER);
    const c = parseIdentifyController(disc!.data);
    expect(c.sn).toBe('\0'.repeat(20));
    expect(c.subnqn).toBe('nqn.2014-08.org.nvmexpress.discovery');
  });
});
