/**
 * One PCI function opened through VFIO (Linux `Documentation/driver-api/vfio.rst`):
 * container (API version, type1v2 IOMMU), group (must be viable), device fd,
 * bus mastering switched on in config space, BAR0 mapped as 32-bit words, and a
 * DMA allocator over the container's IOMMU.
 */
import { readdirSync } from 'node:fs';
import { userInfo } from 'node:os';
import { TransportError } from '../../spec/errors.js';
import {
  decodeRegionInfo,
  dmaMapStruct,
  EFD_CLOEXEC,
  irqInfoStruct,
  irqSetStruct,
  dmaUnmapStruct,
  groupStatusStruct,
  MAP_SHARED,
  O_CLOEXEC,
  O_RDWR,
  PROT_READ_WRITE,
  regionInfoStruct,
  VFIO_API_VERSION,
  VFIO_TYPE1V2_IOMMU,
  VfioGroupFlag,
  VfioIoctl,
  VfioPciIrq,
  VfioPciRegion,
  VfioRegionFlag,
  vfioLibc,
  type Mapping,
  type RegionInfo,
  type VfioLibc,
} from '../../native/vfio.js';
import { DmaAllocator } from './dma-memory.js';
import { vfioGroupOf } from './pci-sysfs.js';

/** PCI Command register: Memory Space Enable | Bus Master Enable. */
const PCI_COMMAND = 0x04;
const PCI_COMMAND_MEMORY_AND_MASTER = 0x6;

/** What to do about an errno from opening the VFIO node `path`. */
const OPEN_HINTS: Readonly<Record<string, (path: string) => string>> = {
  ENOENT: () => 'is vfio-pci loaded (modprobe vfio-pci) and the device bound to it (nvme-setup bind)?',
  EACCES: (path) => noPermission(path),
  EPERM: (path) => noPermission(path),
  EBUSY: () => 'another process (another nvmekit or SPDK application, a VM) holds this IOMMU group',
};

function noPermission(path: string): string {
  const user = currentUser();
  return `run as root, or give ${user} the node (chown ${user} ${path}) and a locked-memory limit (ulimit -l) above the DMA memory it maps`;
}

/** The effective user's name (not $USER, which su and setpriv leave as it was). */
function currentUser(): string {
  try {
    return userInfo().username;
  } catch {
    return `uid ${process.geteuid?.() ?? '?'}`;
  }
}

/** What to do about an errno from mapping DMA memory. */
const MAP_HINTS: Readonly<Record<string, string>> = {
  ENOMEM: 'the locked-memory limit (ulimit -l, RLIMIT_MEMLOCK) is below the DMA memory: raise it, or run as root',
  EPERM: 'the locked-memory limit (ulimit -l, RLIMIT_MEMLOCK) is below the DMA memory: raise it, or run as root',
};

export class VfioDevice {
  /** BAR0 as 32-bit words: the controller's registers and doorbells. */
  readonly bar: Uint32Array;
  /** Where BAR0 is mapped in this process. */
  readonly barAddress: bigint;
  /** DMA memory the controller can reach. */
  readonly dma: DmaAllocator;
  /** One eventfd per enabled MSI-X vector, by vector; empty while MSI-X is off. */
  private msix: number[] = [];

  private constructor(
    readonly bdf: string,
    readonly group: number,
    private readonly libc: VfioLibc,
    private readonly fds: number[],
    readonly deviceFd: number,
    private readonly barMapping: Mapping,
    containerFd: number,
  ) {
    this.bar = new Uint32Array(libc.view(barMapping));
    this.barAddress = barMapping.address;
    this.dma = new DmaAllocator(libc, {
      map: (vaddr, iova, size) =>
        this.ioctl(containerFd, VfioIoctl.IOMMU_MAP_DMA, dmaMapStruct(vaddr, iova, size), `VFIO_IOMMU_MAP_DMA of ${size} bytes at IOVA 0x${iova.toString(16)}`, MAP_HINTS),
      unmap: (iova, size) => this.ioctl(containerFd, VfioIoctl.IOMMU_UNMAP_DMA, dmaUnmapStruct(iova, size), `VFIO_IOMMU_UNMAP_DMA at IOVA 0x${iova.toString(16)}`),
    });
  }

  /**
   * Opens `bdf` (normalised `dddd:bb:dd.f`) through VFIO.
   * @throws ConfigError when the device is missing, bound elsewhere or has no IOMMU group;
   *   TransportError for VFIO failures, naming the step and what to do
   */
  static open(bdf: string): VfioDevice {
    const group = vfioGroupOf(bdf);
    const libc = vfioLibc();
    const fds: number[] = [];
    // One lastError() per failure: it calls strerror through koffi, which leaves errno at 0.
    const fail = (what: string, hint = '', e = libc.lastError()): never => {
      for (const fd of fds.reverse()) libc.close(fd);
      throw new TransportError(`${bdf}: ${what}: ${e.message}${hint ? ` (${hint})` : ''}`, e.code);
    };
    const openNode = (path: string): number => {
      const fd = libc.open(path, O_RDWR | O_CLOEXEC);
      if (fd < 0) {
        const e = libc.lastError();
        fail(`cannot open ${path}`, OPEN_HINTS[e.code]?.(path), e);
      }
      fds.push(fd);
      return fd;
    };
    const container = openNode('/dev/vfio/vfio');
    if (libc.ioctlVoid(container, VfioIoctl.GET_API_VERSION) !== VFIO_API_VERSION) fail('unexpected VFIO API version');
    if (libc.ioctlInt(container, VfioIoctl.CHECK_EXTENSION, VFIO_TYPE1V2_IOMMU) !== 1) fail('the kernel VFIO lacks the type1v2 IOMMU', 'modprobe vfio_iommu_type1');
    const groupFd = openNode(`/dev/vfio/${group}`);
    const status = groupStatusStruct();
    if (libc.ioctlStruct(groupFd, VfioIoctl.GROUP_GET_STATUS, status) !== 0) fail('VFIO_GROUP_GET_STATUS');
    if (!(status.readUInt32LE(4) & VfioGroupFlag.VIABLE)) {
      fail(`IOMMU group ${group} is not viable`, `every device in it must be bound to vfio-pci or to no driver: ${groupMembers(group)}`);
    }
    const containerArg = Buffer.alloc(4);
    containerArg.writeInt32LE(container);
    if (libc.ioctlStruct(groupFd, VfioIoctl.GROUP_SET_CONTAINER, containerArg) !== 0) fail('VFIO_GROUP_SET_CONTAINER');
    if (libc.ioctlInt(container, VfioIoctl.SET_IOMMU, VFIO_TYPE1V2_IOMMU) !== 0) fail('VFIO_SET_IOMMU type1v2');
    const deviceFd = libc.ioctlString(groupFd, VfioIoctl.GROUP_GET_DEVICE_FD, bdf);
    if (deviceFd < 0) fail('VFIO_GROUP_GET_DEVICE_FD');
    fds.push(deviceFd);
    const region = (index: number): RegionInfo => {
      const info = regionInfoStruct(index);
      if (libc.ioctlStruct(deviceFd, VfioIoctl.DEVICE_GET_REGION_INFO, info) !== 0) fail(`VFIO_DEVICE_GET_REGION_INFO ${index}`);
      return decodeRegionInfo(info);
    };
    const bar0 = region(VfioPciRegion.BAR0);
    if (!(bar0.flags & VfioRegionFlag.MMAP)) fail('BAR0 cannot be mapped (no VFIO_REGION_INFO_FLAG_MMAP)', 'is this an NVMe controller?');
    const config = region(VfioPciRegion.CONFIG);
    const command = Buffer.alloc(2);
    if (libc.pread(deviceFd, command, config.offset + BigInt(PCI_COMMAND)) !== 2) fail('reading the PCI Command register');
    command.writeUInt16LE(command.readUInt16LE(0) | PCI_COMMAND_MEMORY_AND_MASTER);
    if (libc.pwrite(deviceFd, command, config.offset + BigInt(PCI_COMMAND)) !== 2) fail('enabling bus mastering');
    const barMapping = libc.mmap(bar0.size, PROT_READ_WRITE, MAP_SHARED, deviceFd, bar0.offset);
    if (barMapping === null) fail(`mmap of BAR0 (${bar0.size} bytes)`);
    return new VfioDevice(bdf, group, libc, fds, deviceFd, barMapping!, container);
  }

  /**
   * Enables MSI-X with up to `wanted` vectors, each signalling its own eventfd,
   * and returns the eventfds by vector. All at once: Linux 6.1's vfio-pci
   * cannot add vectors to an enabled MSI-X block later.
   */
  enableMsix(wanted: number): readonly number[] {
    if (this.msix.length > 0) return this.msix;
    const info = irqInfoStruct(VfioPciIrq.MSIX);
    this.ioctl(this.deviceFd, VfioIoctl.DEVICE_GET_IRQ_INFO, info, 'VFIO_DEVICE_GET_IRQ_INFO (MSI-X)');
    const count = Math.min(wanted, info.readUInt32LE(12));
    if (count < 2) throw new TransportError(`${this.bdf}: ${count} MSI-X vectors; interrupt mode needs one for the admin queue and one per I/O queue`);
    const fds: number[] = [];
    try {
      for (let v = 0; v < count; v++) {
        const fd = this.libc.eventfd(0, EFD_CLOEXEC);
        if (fd < 0) {
          const e = this.libc.lastError();
          throw new TransportError(`${this.bdf}: eventfd: ${e.message}`, e.code);
        }
        fds.push(fd);
      }
      this.ioctl(this.deviceFd, VfioIoctl.DEVICE_SET_IRQS, irqSetStruct(VfioPciIrq.MSIX, 0, fds), `VFIO_DEVICE_SET_IRQS (MSI-X, ${count} vectors)`);
    } catch (err) {
      for (const fd of fds) this.libc.close(fd);
      throw err;
    }
    this.msix = fds;
    return fds;
  }

  /** Frees the DMA memory, unmaps BAR0 and closes the device, group and container (the kernel then resets the function). */
  close(): void {
    this.dma.freeAll();
    if (this.msix.length > 0) {
      this.libc.ioctlStruct(this.deviceFd, VfioIoctl.DEVICE_SET_IRQS, irqSetStruct(VfioPciIrq.MSIX, 0, []));
      for (const fd of this.msix) this.libc.close(fd);
      this.msix = [];
    }
    this.libc.munmap(this.barMapping);
    for (const fd of this.fds.reverse()) this.libc.close(fd);
    this.fds.length = 0;
  }

  private ioctl(fd: number, request: number, arg: Buffer, what: string, hints: Readonly<Record<string, string>> = {}): void {
    if (this.libc.ioctlStruct(fd, request, arg) === 0) return;
    const e = this.libc.lastError();
    const hint = hints[e.code];
    throw new TransportError(`${this.bdf}: ${what}: ${e.message}${hint ? ` (${hint})` : ''}`, e.code);
  }
}

function groupMembers(group: number): string {
  try {
    return readdirSync(`/sys/kernel/iommu_groups/${group}/devices`).join(', ');
  } catch {
    return `see /sys/kernel/iommu_groups/${group}/devices`;
  }
}
