/**
 * Moving NVMe controllers between the kernel's nvme driver and vfio-pci
 * through sysfs `driver_override` (what SPDK's scripts/setup.sh does), with
 * the checks that keep it safe: no IOMMU group means VFIO cannot work, and a
 * controller whose namespaces are mounted, swapped on or held by another
 * block device (dm, md) is left alone.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError, TransportError } from '../../spec/errors.js';
import { ENABLE_IOMMU, listNvmeFunctions, readPciFunction, SYSFS_PCI_DEVICES, type PciFunction } from './pci-sysfs.js';

/** A controller as `nvme-setup status` shows it. */
export interface ControllerSetupStatus extends PciFunction {
  /** `vendor:device` in hex. */
  id: string;
  /** Block devices of its namespaces (`nvme0n1`), when the kernel driver has it. */
  disks: string[];
  /** Why it must not be taken from the kernel now (`nvme0n1p1 is mounted on /boot`); empty when free. */
  users: string[];
}

const readText = (path: string): string => readFileSync(path, 'latin1').trim();
const listDir = (path: string): string[] => (existsSync(path) ? readdirSync(path) : []);

/** Namespace block devices of a controller bound to nvme (the multipath head's name for a path `nvme0c0n1`). */
function disksOf(bdf: string): string[] {
  const disks = new Set<string>();
  for (const ctrl of listDir(join(SYSFS_PCI_DEVICES, bdf, 'nvme'))) {
    for (const entry of listDir(join(SYSFS_PCI_DEVICES, bdf, 'nvme', ctrl))) {
      const m = /^(nvme\d+)(?:c\d+)?(n\d+)$/.exec(entry);
      if (m) disks.add(`${m[1]}${m[2]}`);
    }
  }
  return [...disks].sort();
}

/** Who uses the disks or their partitions: mounts, swap, holders (dm, md, LVM). */
function usersOf(disks: readonly string[]): string[] {
  const mounts = readText('/proc/mounts').split('\n').map((l) => l.split(' '));
  const swaps = existsSync('/proc/swaps') ? readText('/proc/swaps').split('\n').slice(1).map((l) => l.split(/\s+/)[0]) : [];
  const users: string[] = [];
  for (const disk of disks) {
    const devices = [disk, ...listDir(join('/sys/block', disk)).filter((e) => e.startsWith(disk))];
    for (const dev of devices) {
      for (const [source, target] of mounts) if (source === `/dev/${dev}`) users.push(`${dev} is mounted on ${target}`);
      if (swaps.includes(`/dev/${dev}`)) users.push(`${dev} is in use as swap`);
      const holders = listDir(join('/sys/block', disk, dev === disk ? '' : dev, 'holders'));
      if (holders.length > 0) users.push(`${dev} is held by ${holders.join(', ')}`);
    }
  }
  return users;
}

/** Every NVMe controller with its driver, IOMMU group, disks and users. */
export function setupStatus(): ControllerSetupStatus[] {
  return listNvmeFunctions().map((fn) => {
    const dir = join(SYSFS_PCI_DEVICES, fn.bdf);
    const disks = fn.driver === 'nvme' ? disksOf(fn.bdf) : [];
    const hex = (f: string): string => readText(join(dir, f)).replace(/^0x/, '');
    return { ...fn, id: `${hex('vendor')}:${hex('device')}`, disks, users: usersOf(disks) };
  });
}

/** True when the kernel has IOMMU groups at all (an IOMMU is present and on). */
export function iommuEnabled(): boolean {
  return listDir('/sys/kernel/iommu_groups').length > 0;
}

function controller(bdf: string): ControllerSetupStatus {
  const fn = setupStatus().find((c) => c.bdf === bdf);
  if (fn) return fn;
  const other = readPciFunction(bdf);
  throw new ConfigError('bdf', other ? `${bdf} is not an NVMe controller (class 0x${other.classCode.toString(16).padStart(6, '0')})` : `no PCI device ${bdf}`);
}

function driverOverride(bdf: string, driver: string | null): void {
  const dir = join(SYSFS_PCI_DEVICES, bdf);
  const current = readPciFunction(bdf)?.driver ?? null;
  if (current !== null) writeFileSync(join(dir, 'driver', 'unbind'), bdf);
  writeFileSync(join(dir, 'driver_override'), driver ?? '\n');
  writeFileSync('/sys/bus/pci/drivers_probe', bdf);
}

function waitFor(what: string, done: () => boolean, ms = 5000): void {
  const tick = new Int32Array(new SharedArrayBuffer(4));
  for (let waited = 0; !done(); waited += 50) {
    if (waited >= ms) throw new TransportError(`${what} did not happen within ${ms} ms`, 'ETIMEDOUT');
    Atomics.wait(tick, 0, 0, 50);
  }
}

/**
 * Hands `bdf` to vfio-pci. Returns what was done, in words.
 * @throws ConfigError when the controller has no IOMMU group or is in use
 */
export function bindVfio(bdf: string): string {
  const c = controller(bdf);
  if (c.driver === 'vfio-pci') return `${bdf}: already bound to vfio-pci (IOMMU group ${c.iommuGroup})`;
  if (c.iommuGroup === null) {
    throw new ConfigError('bdf', `${bdf} has no IOMMU group: ${ENABLE_IOMMU}`);
  }
  if (c.users.length > 0) throw new ConfigError('bdf', `${bdf} is in use, left with ${c.driver}: ${c.users.join('; ')}`);
  execFileSync('modprobe', ['vfio-pci']);
  driverOverride(bdf, 'vfio-pci');
  const node = `/dev/vfio/${c.iommuGroup}`;
  waitFor(`${node} to appear`, () => existsSync(node));
  return `${bdf}: ${c.driver ?? 'no driver'} -> vfio-pci, IOMMU group ${c.iommuGroup} (${node})`;
}

/** Gives `bdf` back to the kernel's nvme driver. Returns what was done, in words. */
export function bindKernel(bdf: string): string {
  const c = controller(bdf);
  if (c.driver === 'nvme') return `${bdf}: already bound to nvme`;
  execFileSync('modprobe', ['nvme']);
  driverOverride(bdf, null);
  waitFor(`${bdf} binding to nvme`, () => readPciFunction(bdf)?.driver === 'nvme');
  return `${bdf}: ${c.driver ?? 'no driver'} -> nvme`;
}
