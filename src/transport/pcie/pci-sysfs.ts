/**
 * What sysfs says about a PCI function before VFIO is touched: whether it
 * exists, which driver holds it, its IOMMU group. Each way a controller can be
 * unusable gets one message that says what to do about it.
 */
import { existsSync, readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { basename, join } from 'node:path';
import { ConfigError } from '../../spec/errors.js';

/** Where PCI functions appear; a parameter so tests can point at a fake tree. */
export const SYSFS_PCI_DEVICES = '/sys/bus/pci/devices';
/** PCI class code of an NVMe controller (mass storage, non-volatile memory, NVM Express). */
export const NVME_CLASS_CODE = 0x010802;

/** A PCI function as sysfs shows it. */
export interface PciFunction {
  bdf: string;
  /** Class code (`0x010802` for NVMe). */
  classCode: number;
  /** Bound driver (`nvme`, `vfio-pci`), or null. */
  driver: string | null;
  /** IOMMU group number, or null when the function has none (no IOMMU). */
  iommuGroup: number | null;
}

function linkName(path: string): string | null {
  try {
    return basename(readlinkSync(path));
  } catch {
    return null;
  }
}

/** The function at `bdf`, or null when sysfs has no such device. */
export function readPciFunction(bdf: string, root = SYSFS_PCI_DEVICES): PciFunction | null {
  const dir = join(root, bdf);
  if (!existsSync(dir)) return null;
  const group = linkName(join(dir, 'iommu_group'));
  return {
    bdf,
    classCode: Number.parseInt(readFileSync(join(dir, 'class'), 'latin1').trim(), 16),
    driver: linkName(join(dir, 'driver')),
    iommuGroup: group === null ? null : Number(group),
  };
}

/** Every NVMe controller (class 0x010802) on the system, in address order. */
export function listNvmeFunctions(root = SYSFS_PCI_DEVICES): PciFunction[] {
  if (!existsSync(root)) return [];
  return readdirSync(root)
    .sort()
    .map((bdf) => readPciFunction(bdf, root))
    .filter((f): f is PciFunction => f !== null && f.classCode === NVME_CLASS_CODE);
}

/** What `trtype:PCIe` without traddr found. */
export interface NvmeProbe {
  /** Controllers bound to vfio-pci with an IOMMU group, in address order: the ones to attach. */
  usable: string[];
  /** One line per NVMe controller left out, saying why and what hands it to nvmekit. */
  skipped: string[];
}

/**
 * Every NVMe controller nvmekit can attach (bound to vfio-pci, in an IOMMU
 * group), and a line for each one it cannot, like SPDK's probe does when the
 * kernel still holds a controller.
 */
export function probeNvmeControllers(root = SYSFS_PCI_DEVICES): NvmeProbe {
  const usable: string[] = [];
  const skipped: string[] = [];
  for (const fn of listNvmeFunctions(root)) {
    if (fn.iommuGroup === null) skipped.push(`${fn.bdf}: skipped, it has no IOMMU group (${ENABLE_IOMMU})`);
    else if (fn.driver === 'vfio-pci') usable.push(fn.bdf);
    else skipped.push(`${fn.bdf}: skipped, ${boundTo(fn.driver)}; to use it: nvme-setup bind ${fn.bdf}`);
  }
  return { usable, skipped };
}

/** What to do when VFIO has no IOMMU to work with. */
export const ENABLE_IOMMU = 'enable the IOMMU: VT-d / AMD-Vi in the firmware, intel_iommu=on or amd_iommu=on on the kernel command line, then reboot';

function boundTo(driver: string | null): string {
  return driver === null ? 'it is not bound to any driver' : `it is bound to the kernel ${driver} driver`;
}

/** The shell commands that hand `bdf` to vfio-pci (what `nvme-setup bind` does). */
export function vfioBindCommands(bdf: string, driver: string | null): string {
  const dev = `${SYSFS_PCI_DEVICES}/${bdf}`;
  const unbind = driver === null ? '' : `echo ${bdf} > ${dev}/driver/unbind; `;
  return `modprobe vfio-pci; ${unbind}echo vfio-pci > ${dev}/driver_override; echo ${bdf} > /sys/bus/pci/drivers_probe`;
}

/**
 * The IOMMU group of `bdf`, after checking that the function exists, is bound
 * to vfio-pci and has a group.
 * @throws ConfigError (key `traddr`) saying what is wrong and what to run
 */
export function vfioGroupOf(bdf: string, root = SYSFS_PCI_DEVICES): number {
  const fn = readPciFunction(bdf, root);
  if (fn === null) {
    const known = listNvmeFunctions(root).map((f) => `${f.bdf} (${f.driver ?? 'no driver'})`);
    throw new ConfigError(
      'traddr',
      `no PCI device ${bdf} (${root}/${bdf} does not exist); NVMe controllers here: ${known.length ? known.join(', ') : 'none'}`,
    );
  }
  if (fn.iommuGroup === null) throw new ConfigError('traddr', `${bdf} has no IOMMU group, so VFIO cannot reach it: ${ENABLE_IOMMU}`);
  if (fn.driver !== 'vfio-pci') {
    throw new ConfigError('traddr', `${bdf}: ${boundTo(fn.driver)}; hand it to vfio-pci first: nvme-setup bind ${bdf} (by hand: ${vfioBindCommands(bdf, fn.driver)})`);
  }
  return fn.iommuGroup;
}
