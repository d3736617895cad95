import { describe, expect, it } from 'vitest';
import {
  buildIdentifyNamespace,
  currentLbaFormatIndex,
  defaultIdentifyNamespace,
  LBAF_OFFSET,
  lbaSizeOf,
  metadataSizeOf,
  NAMESPACE_FIELDS,
  parseIdentifyNamespace,
  type IdentifyNamespace,
} from '../../../src/spec/identify-namespace.js';
import { Cns, IDENTIFY_DATA_SIZE } from '../../../src/spec/identify.js';
import { identifyNamespaceToNvmeCliJson } from '../../../src/report/identify-json.js';
import { identifyPayloads, loadCapturedCommands, readVector } from '../../helpers/nvme-tcp-capture.js';

const LINUX = 'linux-host-to-linux-nvmet-tcp-plain';
const SPDK = 'spdk-identify-to-spdk-nvmf-tgt-tcp';

function offsetOf(key: string): number | undefined {
  return NAMESPACE_FIELDS.find((x) => x.key === key)?.offset;
}

function withFormats(count: number, flbas: number): IdentifyNamespace {
  return {
    ...defaultIdentifyNamespace(1000n),
    nlbaf: count - 1,
    flbas,
    lbafs: Array.from({ length: count }, (_, i) => ({ ms: i * 8, ds: 9 + (i % 4), rp: i % 4 })),
  };
}

describe('Identify Namespace layout', () => {
  it('pins the offsets the spec gives', () => {
    expect(offsetOf('nsze')).toBe(0);
    expect(offsetOf('nlbaf')).toBe(25);
    expect(offsetOf('flbas')).toBe(26);
    expect(offsetOf('nvmcap')).toBe(48);
    expect(offsetOf('mcl')).toBe(76);
    expect(offsetOf('nulbaf')).toBe(82);
    expect(offsetOf('anagrpid')).toBe(92);
    expect(offsetOf('nsattr')).toBe(99);
    expect(offsetOf('endgid')).toBe(102);
    expect(offsetOf('nguid')).toBe(104);
    expect(offsetOf('eui64')).toBe(120);
    expect(LBAF_OFFSET).toBe(128);
  });
});

describe('Identify Namespace codec', () => {
  it('round-trips parse(build(x)) with 64 formats and big sizes', () => {
    const ns = {
      ...withFormats(64, 0x60 | 0x0a),
      nsze: (1n << 63n) + 1n,
      nvmcap: 1n << 120n,
      nguid: '5a0c0b2e1d2f4e3a9b4c000000000001',
      eui64: '0011223344556677',
    };
    const buf = buildIdentifyNamespace(ns);
    expect(buf.length).toBe(IDENTIFY_DATA_SIZE);
    expect(parseIdentifyNamespace(buf)).toEqual(ns);
  });

  it('uses the FLBAS high bits only when NLBAF is greater than 16', () => {
    expect(currentLbaFormatIndex(withFormats(18, 0x20 | 0x01))).toBe(0x11);
    expect(currentLbaFormatIndex(withFormats(16, 0x20 | 0x01))).toBe(0x01);
  });

  it('derives block and metadata size from the selected format', () => {
    const ns = withFormats(4, 2);
    expect(lbaSizeOf(ns)).toBe(2048);
    expect(metadataSizeOf(ns)).toBe(16);
    expect(() => lbaSizeOf({ ...ns, flbas: 7 })).toThrow(/flbas selects LBA format 7/);
    expect(() => buildIdentifyNamespace({ ...ns, nlbaf: 4 })).toThrow(/lbafs: expected nlbaf \+ 1 \+ nulbaf = 5/);
  });
});

describe('Identify Namespace golden vectors', () => {
  const cmds = loadCapturedCommands(LINUX, 1);

  it('NSID 2 of the Linux nvmet capture decodes to what nvme-cli printed (every key)', () => {
    const ns2 = identifyPayloads(cmds, Cns.NAMESPACE, 2);
    expect(ns2.length).toBeGreaterThan(0);
    const vector = JSON.parse(readVector('nvme-cli/id-ns-plain.json').toString('utf8')) as unknown;
    for (const cmd of ns2) expect(identifyNamespaceToNvmeCliJson(parseIdentifyNamespace(cmd.data))).toEqual(vector);
  });

  it('NSID 1 is the 1 GiB null_blk namespace with 512-byte blocks', () => {
    const [ns1] = identifyPayloads(cmds, Cns.NAMESPACE, 1);
    const ns = parseIdentifyNamespace(ns1!.data);
    expect(BigInt(lbaSizeOf(ns)) * ns.nsze).toBe(1n << 30n);
    expect(lbaSizeOf(ns)).toBe(512);
  });

  it('build(parse(x)) reproduces every captured Identify Namespace page', () => {
    const all = [...identifyPayloads(cmds, Cns.NAMESPACE), ...identifyPayloads(loadCapturedCommands(SPDK, 0), Cns.NAMESPACE)];
    expect(all.length).toBeGreaterThan(4);
    for (const cmd of all) expect(buildIdentifyNamespace(parseIdentifyNamespace(cmd.data)).equals(cmd.data)).toBe(true);
  });
});
