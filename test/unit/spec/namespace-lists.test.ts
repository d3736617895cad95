import { describe, expect, it } from 'vitest';
import { Cns, IDENTIFY_DATA_SIZE } from '../../../src/spec/identify.js';
import {
  buildActiveNamespaceList,
  buildNamespaceIds,
  Nidt,
  parseActiveNamespaceList,
  parseNamespaceIdDescriptors,
  parseNamespaceIds,
} from '../../../src/spec/namespace-lists.js';
import { identifyPayloads, loadCapturedCommands } from '../../helpers/nvme-tcp-capture.js';

const LINUX = 'linux-host-to-linux-nvmet-tcp-plain';
const SPDK = 'spdk-identify-to-spdk-nvmf-tgt-tcp';

describe('Active Namespace ID list', () => {
  it('round-trips and stops at the first zero', () => {
    const buf = buildActiveNamespaceList([1, 2, 7, 0xfffffffe]);
    expect(buf.length).toBe(IDENTIFY_DATA_SIZE);
    expect(parseActiveNamespaceList(buf)).toEqual([1, 2, 7, 0xfffffffe]);
  });

  it('rejects invalid NSIDs and too many entries', () => {
    expect(() => buildActiveNamespaceList([0])).toThrow(/nsids\[0\]/);
    expect(() => buildActiveNamespaceList(Array.from({ length: 1025 }, (_, i) => i + 1))).toThrow(/1024/);
  });

  it('Linux nvmet reports namespaces 1 and 2; SPDK reports namespace 1', () => {
    for (const cmd of identifyPayloads(loadCapturedCommands(LINUX, 1), Cns.ACTIVE_NAMESPACE_LIST)) {
      expect(parseActiveNamespaceList(cmd.data)).toEqual([1, 2]);
    }
    const [spdk] = identifyPayloads(loadCapturedCommands(SPDK, 0), Cns.ACTIVE_NAMESPACE_LIST);
    expect(parseActiveNamespaceList(spdk!.data)).toEqual([1]);
    expect(buildActiveNamespaceList([1]).equals(spdk!.data)).toBe(true);
  });
});

describe('Namespace Identification Descriptor list', () => {
  it('round-trips every type, formatted as nvme-cli and SPDK print them', () => {
    const ids = { eui64: '0011223344556677', nguid: '5a0c0b2e1d2f4e3a9b4c000000000001', uuid: '5a0c0b2e-1d2f-4e3a-9b4c-000000000001', csi: 2 };
    const buf = buildNamespaceIds(ids);
    expect([buf[0], buf[1], buf[12], buf[13]]).toEqual([Nidt.EUI64, 8, Nidt.NGUID, 16]);
    expect(parseNamespaceIds(buf)).toEqual(ids);
  });

  it('rejects a descriptor whose length does not match its type, or that runs off the end', () => {
    const bad = Buffer.alloc(64);
    bad.set([Nidt.UUID, 8]);
    expect(() => parseNamespaceIds(bad)).toThrow(/nidl/);
    const long = Buffer.from([Nidt.NGUID, 16, 0, 0, 1, 2]);
    expect(() => parseNamespaceIdDescriptors(long)).toThrow(/past the end/);
  });

  it('skips unknown types', () => {
    const buf = Buffer.alloc(64);
    buf.set([0x7, 2, 0, 0, 0xaa, 0xbb, Nidt.CSI, 1, 0, 0, 0]);
    expect(parseNamespaceIds(buf)).toEqual({ csi: 0 });
  });

  it('decodes the captured lists: SPDK gives NGUID, UUID and CSI; build reproduces the bytes', () => {
    const [spdk] = identifyPayloads(loadCapturedCommands(SPDK, 0), Cns.NAMESPACE_ID_DESCRIPTOR_LIST, 1);
    const ids = parseNamespaceIds(spdk!.data);
    expect(ids.uuid).toBe('5a0c0b2e-1d2f-4e3a-9b4c-000000000001');
    expect(ids.nguid).toBe('5a0c0b2e1d2f4e3a9b4c000000000001');
    const linux = identifyPayloads(loadCapturedCommands(LINUX, 1), Cns.NAMESPACE_ID_DESCRIPTOR_LIST);
    expect(linux.length).toBeGreaterThan(0);
    for (const cmd of [spdk!, ...linux]) expect(buildNamespaceIds(parseNamespaceIds(cmd.data)).equals(cmd.data)).toBe(true);
  });
});
