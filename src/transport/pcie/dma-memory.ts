/**
 * DMA memory for a VFIO container: anonymous mappings (2 MiB hugepages when
 * the system has some free, 4 KiB pages otherwise), populated up front and
 * mapped for device access with VFIO_IOMMU_MAP_DMA, which also pins them.
 *
 * IOVAs come from our own allocator starting at 1 MiB rather than IOVA = VA:
 * user space addresses need 47 bits and IOMMUs may translate fewer (QEMU's
 * intel-iommu defaults to 39). Freed ranges are reused (first fit, neighbours
 * merged), so a long run that opens and closes queue pairs stays in the low
 * part of the space.
 *
 * Every live region is also entered in a per-thread registry keyed by its
 * ArrayBuffer (`dmaIovaOf`): a Buffer carries no address of its own, but a view
 * of DMA memory shares the region's ArrayBuffer, so the queue pair can tell a
 * user's DMA buffer (or any subarray of it) from heap memory with one WeakMap
 * lookup and no allocation, and build PRPs at its IOVA instead of copying.
 */
import { TransportError } from '../../spec/errors.js';
import {
  MAP_ANONYMOUS,
  MAP_HUGETLB,
  MAP_POPULATE,
  MAP_PRIVATE,
  PROT_READ_WRITE,
  type Mapping,
  type VfioLibc,
} from '../../native/vfio.js';

/** Pinned memory the controller can reach: `buf[i]` is at device address `iova + i`. */
export interface DmaRegion {
  readonly buf: Buffer;
  readonly iova: number;
  readonly size: number;
  /** Virtual address of `buf` in this process (any thread can view it there). */
  readonly address: bigint;
  /** True when backed by hugepages. */
  readonly huge: boolean;
}

/** The container's IOMMU: maps and unmaps one range (VFIO_IOMMU_MAP_DMA / UNMAP_DMA). */
export interface IommuMapper {
  map(vaddr: bigint, iova: number, size: number): void;
  unmap(iova: number, size: number): void;
}

const SMALL_PAGE = 4096;
const HUGE_PAGE = 2 * 1024 * 1024;
const IOVA_BASE = 0x10_0000;

interface Allocation extends DmaRegion {
  readonly mapping: Mapping;
}

const roundUp = (n: number, to: number): number => Math.ceil(n / to) * to;

/** A live region as the registry knows it: where it starts in its ArrayBuffer, how long, at which IOVA. */
interface RegisteredRegion {
  readonly byteOffset: number;
  readonly size: number;
  readonly iova: number;
}

/** Live DMA regions of this thread by ArrayBuffer (weak: a view the GC dropped needs no entry). */
const registry = new WeakMap<ArrayBufferLike, RegisteredRegion>();

/**
 * The device address of `buf[0]` when `buf` lies wholly inside a live DMA
 * region of this thread, -1 otherwise (heap memory, a freed region, or a view
 * that runs past the region's end).
 */
export function dmaIovaOf(buf: Uint8Array): number {
  const r = registry.get(buf.buffer);
  if (r === undefined) return -1;
  const offset = buf.byteOffset - r.byteOffset;
  return offset >= 0 && offset + buf.byteLength <= r.size ? r.iova + offset : -1;
}

/** A free range of IOVA space: [start, end). */
interface FreeRange {
  start: number;
  end: number;
}

/**
 * Device address space: ranges handed out aligned, freed ranges reused first
 * fit and merged with free neighbours; past them, space is taken from `top`.
 */
export class IovaSpace {
  /** Free ranges below `top`, in address order, none touching another. */
  private readonly free: FreeRange[] = [];
  private top: number;

  constructor(base = IOVA_BASE) {
    this.top = base;
  }

  /** The lowest address aligned to `align` with `size` free bytes from it. */
  take(size: number, align: number): number {
    for (let i = 0; i < this.free.length; i++) {
      const r = this.free[i]!;
      const start = roundUp(r.start, align);
      if (start + size > r.end) continue;
      const after = { start: start + size, end: r.end };
      const parts = [...(start > r.start ? [{ start: r.start, end: start }] : []), ...(after.start < after.end ? [after] : [])];
      this.free.splice(i, 1, ...parts);
      return start;
    }
    const start = roundUp(this.top, align);
    if (start > this.top) this.give(this.top, start - this.top);
    this.top = start + size;
    return start;
  }

  /** Returns [iova, iova + size) to the space. */
  give(iova: number, size: number): void {
    let i = 0;
    while (i < this.free.length && this.free[i]!.start < iova) i++;
    const range = { start: iova, end: iova + size };
    const prev = this.free[i - 1];
    const next = this.free[i];
    if (prev && prev.end > range.start) throw new RangeError(`IOVA 0x${iova.toString(16)} freed twice`);
    if (next && next.start < range.end) throw new RangeError(`IOVA 0x${iova.toString(16)} freed twice`);
    if (prev && prev.end === range.start) {
      prev.end = range.end;
      if (next && next.start === prev.end) {
        prev.end = next.end;
        this.free.splice(i, 1);
      }
    } else if (next && next.start === range.end) {
      next.start = range.start;
    } else {
      this.free.splice(i, 0, range);
    }
    this.dropTop();
  }

  /** The highest address handed out so far, plus one (for tests and statistics). */
  get end(): number {
    return this.top;
  }

  /** A free range that reaches `top` is no range: `top` comes down instead. */
  private dropTop(): void {
    const last = this.free[this.free.length - 1];
    if (last && last.end === this.top) {
      this.top = last.start;
      this.free.pop();
    }
  }
}

export class DmaAllocator {
  private readonly iovas = new IovaSpace();
  private readonly live = new Set<Allocation>();

  constructor(
    private readonly libc: VfioLibc,
    private readonly iommu: IommuMapper,
  ) {}

  /**
   * Allocates, pins and maps at least `size` bytes, zeroed and page aligned.
   * @throws TransportError when the memory cannot be had or mapped (RLIMIT_MEMLOCK, IOMMU space)
   */
  alloc(size: number): DmaRegion {
    const hugeMapping = this.mmapHuge(size);
    const huge = hugeMapping !== null;
    const mapping = hugeMapping ?? this.mmapSmall(size);
    const align = huge ? HUGE_PAGE : SMALL_PAGE;
    const iova = this.iovas.take(mapping.length, align);
    try {
      this.iommu.map(mapping.address, iova, mapping.length);
    } catch (err) {
      this.iovas.give(iova, mapping.length);
      this.libc.munmap(mapping);
      throw err;
    }
    const region: Allocation = { buf: Buffer.from(this.libc.view(mapping)), iova, size: mapping.length, address: mapping.address, huge, mapping };
    this.live.add(region);
    registry.set(region.buf.buffer, { byteOffset: region.buf.byteOffset, size: region.size, iova });
    return region;
  }

  /** Unmaps a region from the IOMMU and returns its memory. */
  free(region: DmaRegion): void {
    const a = region as Allocation;
    if (!this.live.delete(a)) return;
    registry.delete(a.buf.buffer);
    this.iommu.unmap(a.iova, a.size);
    this.iovas.give(a.iova, a.size);
    this.libc.munmap(a.mapping);
  }

  /** Frees every region still allocated (controller teardown). */
  freeAll(): void {
    for (const region of [...this.live]) this.free(region);
  }

  /** Hugepages for regions of 1 MiB and more, when the pool has them (null otherwise: no error). */
  private mmapHuge(size: number): Mapping | null {
    if (size < HUGE_PAGE / 2) return null;
    return this.libc.mmap(roundUp(size, HUGE_PAGE), PROT_READ_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE | MAP_HUGETLB, -1, 0n);
  }

  private mmapSmall(size: number): Mapping {
    const m = this.libc.mmap(roundUp(size, SMALL_PAGE), PROT_READ_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0n);
    if (m === null) {
      const e = this.libc.lastError();
      throw new TransportError(`mmap of ${size} bytes of DMA memory failed: ${e.message}`, e.code);
    }
    return m;
  }
}
