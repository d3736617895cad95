/**
 * The libc calls a userspace PCIe driver needs, declared with koffi: `open`,
 * `ioctl` (VFIO), `mmap` / `munmap` (BAR0 and DMA memory), `pread` / `pwrite`
 * (PCI config space through the VFIO config region) and `eventfd` (MSI-X).
 * Plus the VFIO ioctl numbers and the byte layouts of the structures they
 * take (linux/vfio.h), encoded into Buffers.
 *
 * koffi and glibc are loaded on first use, so importing this module costs
 * nothing on machines that never touch PCIe.
 */
import { createRequire } from 'node:module';

/** `_IO(VFIO_TYPE, VFIO_BASE + n)`: VFIO's ioctls take no size in their number. */
const vfioIo = (n: number): number => (0x3b << 8) | (100 + n);

/** VFIO ioctl request numbers (linux/vfio.h). */
export const VfioIoctl = {
  GET_API_VERSION: vfioIo(0),
  CHECK_EXTENSION: vfioIo(1),
  SET_IOMMU: vfioIo(2),
  GROUP_GET_STATUS: vfioIo(3),
  GROUP_SET_CONTAINER: vfioIo(4),
  GROUP_UNSET_CONTAINER: vfioIo(5),
  GROUP_GET_DEVICE_FD: vfioIo(6),
  DEVICE_GET_INFO: vfioIo(7),
  DEVICE_GET_REGION_INFO: vfioIo(8),
  DEVICE_GET_IRQ_INFO: vfioIo(9),
  DEVICE_SET_IRQS: vfioIo(10),
  DEVICE_RESET: vfioIo(11),
  IOMMU_MAP_DMA: vfioIo(13),
  IOMMU_UNMAP_DMA: vfioIo(14),
} as const;

/** The VFIO API version this code speaks (VFIO_API_VERSION). */
export const VFIO_API_VERSION = 0;
/** VFIO_TYPE1v2_IOMMU: the IOMMU model for VFIO_CHECK_EXTENSION and VFIO_SET_IOMMU. */
export const VFIO_TYPE1V2_IOMMU = 3;
/** vfio_group_status.flags */
export const VfioGroupFlag = { VIABLE: 1, CONTAINER_SET: 2 } as const;
/** vfio-pci region indexes. */
export const VfioPciRegion = { BAR0: 0, CONFIG: 7 } as const;
/** vfio_region_info.flags */
export const VfioRegionFlag = { READ: 1, WRITE: 2, MMAP: 4 } as const;
/** vfio-pci interrupt indexes. */
export const VfioPciIrq = { INTX: 0, MSI: 1, MSIX: 2 } as const;
/** vfio_irq_set.flags */
export const VfioIrqSetFlag = { DATA_NONE: 1, DATA_BOOL: 2, DATA_EVENTFD: 4, ACTION_MASK: 8, ACTION_UNMASK: 16, ACTION_TRIGGER: 32 } as const;
/** vfio_iommu_type1_dma_map.flags */
export const VfioDmaFlag = { READ: 1, WRITE: 2 } as const;

export const O_RDWR = 2;
export const O_CLOEXEC = 0o2000000;
export const PROT_READ_WRITE = 3;
export const MAP_SHARED = 0x01;
export const MAP_PRIVATE = 0x02;
export const MAP_ANONYMOUS = 0x20;
export const MAP_POPULATE = 0x8000;
export const MAP_HUGETLB = 0x40000;
export const EFD_CLOEXEC = 0o2000000;

/** vfio_group_status { argsz, flags }. */
export function groupStatusStruct(): Buffer {
  const b = Buffer.alloc(8);
  b.writeUInt32LE(8, 0);
  return b;
}

/** vfio_region_info { argsz, flags, index, cap_offset, size: u64, offset: u64 } for region `index`. */
export function regionInfoStruct(index: number): Buffer {
  const b = Buffer.alloc(32);
  b.writeUInt32LE(32, 0);
  b.writeUInt32LE(index, 8);
  return b;
}

/** A decoded vfio_region_info. */
export interface RegionInfo {
  flags: number;
  size: number;
  /** File offset of the region in the device fd (index << 40 on vfio-pci). */
  offset: bigint;
}

export function decodeRegionInfo(b: Buffer): RegionInfo {
  return { flags: b.readUInt32LE(4), size: Number(b.readBigUInt64LE(16)), offset: b.readBigUInt64LE(24) };
}

/** vfio_iommu_type1_dma_map { argsz, flags, vaddr, iova, size }, read and write. */
export function dmaMapStruct(vaddr: bigint, iova: number, size: number): Buffer {
  const b = Buffer.alloc(32);
  b.writeUInt32LE(32, 0);
  b.writeUInt32LE(VfioDmaFlag.READ | VfioDmaFlag.WRITE, 4);
  b.writeBigUInt64LE(vaddr, 8);
  b.writeBigUInt64LE(BigInt(iova), 16);
  b.writeBigUInt64LE(BigInt(size), 24);
  return b;
}

/** vfio_iommu_type1_dma_unmap { argsz, flags, iova, size }. */
export function dmaUnmapStruct(iova: number, size: number): Buffer {
  const b = Buffer.alloc(24);
  b.writeUInt32LE(24, 0);
  b.writeBigUInt64LE(BigInt(iova), 8);
  b.writeBigUInt64LE(BigInt(size), 16);
  return b;
}

/** vfio_irq_info { argsz, flags, index, count } for interrupt `index`. */
export function irqInfoStruct(index: number): Buffer {
  const b = Buffer.alloc(16);
  b.writeUInt32LE(16, 0);
  b.writeUInt32LE(index, 8);
  return b;
}

/**
 * vfio_irq_set { argsz, flags, index, start, count, data[] } that sets (or,
 * with `eventfds` empty and DATA_NONE, tears down) eventfd triggers of `index`.
 */
export function irqSetStruct(index: number, start: number, eventfds: readonly number[]): Buffer {
  const b = Buffer.alloc(20 + 4 * eventfds.length);
  b.writeUInt32LE(b.length, 0);
  const data = eventfds.length > 0 ? VfioIrqSetFlag.DATA_EVENTFD : VfioIrqSetFlag.DATA_NONE;
  b.writeUInt32LE(data | VfioIrqSetFlag.ACTION_TRIGGER, 4);
  b.writeUInt32LE(index, 8);
  b.writeUInt32LE(start, 12);
  b.writeUInt32LE(eventfds.length, 16);
  eventfds.forEach((fd, i) => b.writeInt32LE(fd, 20 + 4 * i));
  return b;
}

/** An mmap'd region: koffi's pointer (for munmap) and its address. */
export interface Mapping {
  readonly ptr: unknown;
  readonly address: bigint;
  readonly length: number;
}

/** The libc entry points, bound. Each returns libc's result; -1 / null means see `lastError()`. */
export interface VfioLibc {
  open(path: string, flags: number): number;
  close(fd: number): number;
  ioctlVoid(fd: number, request: number): number;
  ioctlInt(fd: number, request: number, arg: number): number;
  ioctlString(fd: number, request: number, arg: string): number;
  ioctlStruct(fd: number, request: number, arg: Buffer): number;
  /** mmap; null on MAP_FAILED. */
  mmap(length: number, prot: number, flags: number, fd: number, offset: bigint): Mapping | null;
  munmap(m: Mapping): number;
  /** The mapping as an ArrayBuffer (no copy: reads and writes go to the mapped memory). */
  view(m: Mapping): ArrayBuffer;
  /** Memory another thread of this process mapped, by address (a worker reaching the main thread's mappings). */
  viewAt(address: bigint, length: number): ArrayBuffer;
  pread(fd: number, buf: Buffer, offset: bigint): number;
  pwrite(fd: number, buf: Buffer, offset: bigint): number;
  eventfd(initval: number, flags: number): number;
  /** errno of the last call, by name (`EACCES`) and in words. */
  lastError(): { code: string; message: string };
}

type Fn = (...args: unknown[]) => unknown;
let loaded: VfioLibc | undefined;

/**
 * The bound libc functions.
 * @throws Error when koffi or glibc cannot be loaded (not Linux, no koffi build)
 */
export function vfioLibc(): VfioLibc {
  if (loaded) return loaded;
  if (process.platform !== 'linux') throw new Error(`VFIO needs Linux (this is ${process.platform})`);
  const koffi = createRequire(import.meta.url)('koffi') as typeof import('koffi');
  const lib = koffi.load('libc.so.6');
  const f = (proto: string): Fn => lib.func(proto) as Fn;
  const open = f('int open(const char *path, int flags)');
  const close = f('int close(int fd)');
  const ioctl = f('int ioctl(int fd, unsigned long request, ...)');
  const mmap = f('void *mmap(void *addr, size_t length, int prot, int flags, int fd, int64_t offset)');
  const munmap = f('int munmap(void *addr, size_t length)');
  const pread = f('long pread(int fd, _Out_ uint8_t *buf, size_t count, int64_t offset)');
  const pwrite = f('long pwrite(int fd, const uint8_t *buf, size_t count, int64_t offset)');
  const eventfd = f('int eventfd(unsigned int initval, int flags)');
  const strerror = f('const char *strerror(int errnum)');
  const errnoNames = Object.entries(koffi.os.errno);
  const MAP_FAILED = 0xffffffffffffffffn;
  loaded = {
    open: (path, flags) => open(path, flags) as number,
    close: (fd) => close(fd) as number,
    ioctlVoid: (fd, request) => ioctl(fd, request) as number,
    ioctlInt: (fd, request, arg) => ioctl(fd, request, 'int', arg) as number,
    ioctlString: (fd, request, arg) => ioctl(fd, request, 'const char *', arg) as number,
    ioctlStruct: (fd, request, arg) => ioctl(fd, request, 'void *', arg) as number,
    mmap: (length, prot, flags, fd, offset) => {
      const ptr = mmap(null, length, prot, flags, fd, offset);
      const address = ptr === null ? MAP_FAILED : (koffi.address(ptr) as bigint);
      return address === MAP_FAILED ? null : { ptr, address, length };
    },
    munmap: (m) => munmap(m.ptr, m.length) as number,
    view: (m) => koffi.view(m.ptr as never, m.length) as ArrayBuffer,
    viewAt: (address, length) => koffi.view(address as never, length) as ArrayBuffer,
    pread: (fd, buf, offset) => pread(fd, buf, buf.length, offset) as number,
    pwrite: (fd, buf, offset) => pwrite(fd, buf, buf.length, offset) as number,
    eventfd: (initval, flags) => eventfd(initval, flags) as number,
    lastError: () => {
      const e = koffi.errno();
      const code = errnoNames.find(([, v]) => v === e)?.[0] ?? `errno ${e}`;
      return { code, message: strerror(e) as string };
    },
  };
  return loaded;
}
