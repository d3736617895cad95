/**
 * DMA memory for a VFIO container: anonymous mappings (2 MiB hugepages when
 * the system has some free, 4 KiB pages otherwise), populated up front and
 * mapped for device access with VFIO_IOMMU_MAP_DMA, which also pins them.
 *
 * IOVAs come from a bump allocator starting at 1 MiB rather than IOVA = VA:
 * user space addresses need 47 bits and IOMMUs may translate fewer (QEMU's
 * intel-iommu defaults to 39). IOVA space is not reused after a free; it is
 * far larger than anything a process maps.
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

export class DmaAllocator {
  private nextIova = IOVA_BASE;
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
    const iova = roundUp(this.nextIova, align);
    try {
      this.iommu.map(mapping.address, iova, mapping.length);
    } catch (err) {
      this.libc.munmap(mapping);
      throw err;
    }
    this.nextIova = iova + mapping.length;
    const region: Allocation = { buf: Buffer.from(this.libc.view(mapping)), iova, size: mapping.length, address: mapping.address, huge, mapping };
    this.live.add(region);
    return region;
  }

  /** Unmaps a region from the IOMMU and returns its memory. */
  free(region: DmaRegion): void {
    const a = region as Allocation;
    if (!this.live.delete(a)) return;
    this.iommu.unmap(a.iova, a.size);
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
