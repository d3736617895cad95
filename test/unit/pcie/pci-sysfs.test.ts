import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ConfigError } from '../../../src/spec/errors.js';
import { listNvmeFunctions, probeNvmeControllers, vfioGroupOf } from '../../../src/transport/pcie/pci-sysfs.js';
import { probeTransportIds } from '../../../src/transport/pcie/pcie-controller.js';
import { parseTransportId } from '../../../src/nvme-driver/transport-id.js';

/** A fake /sys/bus/pci/devices: each function a directory with `class` and optional driver / iommu_group links. */
let root: string;
function fn(bdf: string, classCode: string, driver: string | null, group: number | null): void {
  const dir = join(root, 'devices', bdf);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'class'), `${classCode}\n`);
  if (driver) symlinkSync(join(root, 'drivers', driver), join(dir, 'driver'));
  if (group !== null) symlinkSync(join(root, 'iommu_groups', String(group)), join(dir, 'iommu_group'));
}
const devices = (): string => join(root, 'devices');

beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'nvmekit-sysfs-'));
  fn('0000:00:01.0', '0x060000', null, 0);
  fn('0000:00:04.0', '0x010802', 'vfio-pci', 4);
  fn('0000:00:05.0', '0x010802', 'nvme', 5);
  fn('0000:00:06.0', '0x010802', null, 6);
  fn('0000:00:07.0', '0x010802', 'nvme', null);
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

describe('vfioGroupOf', () => {
  it('gives the IOMMU group of a controller bound to vfio-pci', () => {
    expect(vfioGroupOf('0000:00:04.0', devices())).toBe(4);
  });

  it('names the missing device and lists the NVMe controllers present', () => {
    expect(() => vfioGroupOf('0000:42:00.0', devices())).toThrow(ConfigError);
    expect(() => vfioGroupOf('0000:42:00.0', devices())).toThrow(
      /no PCI device 0000:42:00\.0 .*NVMe controllers here: 0000:00:04\.0 \(vfio-pci\), 0000:00:05\.0 \(nvme\), 0000:00:06\.0 \(no driver\), 0000:00:07\.0 \(nvme\)/,
    );
  });

  it('says a controller bound to nvme must be rebound, with nvme-setup and the commands it runs', () => {
    expect(() => vfioGroupOf('0000:00:05.0', devices())).toThrow(
      /0000:00:05\.0: it is bound to the kernel nvme driver; hand it to vfio-pci first: nvme-setup bind 0000:00:05\.0 \(by hand: modprobe vfio-pci; echo 0000:00:05\.0 > \S+\/driver\/unbind; echo vfio-pci > \S+\/driver_override/,
    );
  });

  it('says an unbound controller must be bound, without an unbind', () => {
    expect(() => vfioGroupOf('0000:00:06.0', devices())).toThrow(/it is not bound to any driver; hand it to vfio-pci first: nvme-setup bind 0000:00:06\.0 \(by hand: modprobe vfio-pci; echo vfio-pci/);
  });

  it('explains a missing IOMMU group before anything else', () => {
    expect(() => vfioGroupOf('0000:00:07.0', devices())).toThrow(/has no IOMMU group.*intel_iommu=on or amd_iommu=on/);
  });
});

describe('listNvmeFunctions', () => {
  it('lists class 0x010802 functions in address order with driver and group', () => {
    expect(listNvmeFunctions(devices()).map((f) => [f.bdf, f.driver, f.iommuGroup])).toEqual([
      ['0000:00:04.0', 'vfio-pci', 4],
      ['0000:00:05.0', 'nvme', 5],
      ['0000:00:06.0', null, 6],
      ['0000:00:07.0', 'nvme', null],
    ]);
  });
});

describe('PCIe transport IDs', () => {
  it.each([
    ['0000:04:00.0', '0000:04:00.0'],
    ['0000.04.00.0', '0000:04:00.0'],
    ['04:00.0', '0000:04:00.0'],
    ['1.2.3.4', '0001:02:03.4'],
  ])('traddr:%s is %s', (given, bdf) => {
    expect(parseTransportId(`trtype:PCIe traddr:${given}`)).toEqual({ trtype: 'PCIe', traddr: bdf });
  });
});

describe('trtype:PCIe without traddr', () => {
  it('parses: a PCIe transport ID may leave traddr out (fabrics may not)', () => {
    expect(parseTransportId('trtype:PCIe')).toEqual({ trtype: 'PCIe' });
    expect(parseTransportId('trtype:pcie ns:2')).toEqual({ trtype: 'PCIe', ns: 2 });
    expect(() => parseTransportId('trtype:TCP')).toThrow(/traddr: missing/);
  });

  it('finds the controllers bound to vfio-pci and says how to hand over the others', () => {
    fn('0000:00:08.0', '0x010802', 'vfio-pci', 8);
    expect(probeNvmeControllers(devices())).toEqual({
      usable: ['0000:00:04.0', '0000:00:08.0'],
      skipped: [
        '0000:00:05.0: skipped, it is bound to the kernel nvme driver; to use it: nvme-setup bind 0000:00:05.0',
        '0000:00:06.0: skipped, it is not bound to any driver; to use it: nvme-setup bind 0000:00:06.0',
        expect.stringMatching(/^0000:00:07\.0: skipped, it has no IOMMU group \(enable the IOMMU: .*intel_iommu=on/),
      ],
    });
  });

  it('expands into one transport ID per usable controller, keeping the other keys', () => {
    const { trids, skipped } = probeTransportIds(parseTransportId('trtype:PCIe ns:1'), devices());
    expect(trids).toEqual([{ trtype: 'PCIe', ns: 1, traddr: '0000:00:04.0' }]);
    expect(skipped).toHaveLength(3);
  });

  it('fails with the reasons when no controller is bound to vfio-pci', () => {
    rmSync(join(devices(), '0000:00:04.0'), { recursive: true });
    expect(() => probeTransportIds({ trtype: 'PCIe' }, devices())).toThrow(ConfigError);
    expect(() => probeTransportIds({ trtype: 'PCIe' }, devices())).toThrow(
      /found no NVMe controller bound to vfio-pci: 0000:00:05\.0: skipped, it is bound to the kernel nvme driver; to use it: nvme-setup bind 0000:00:05\.0; /,
    );
    rmSync(devices(), { recursive: true });
    expect(() => probeTransportIds({ trtype: 'PCIe' }, devices())).toThrow(/lists no NVMe controller/);
  });
});
