/**
 * Physical Region Page entries (NVMe base spec "Physical Region Page Entry and
 * List", PCIe): how a buffer's IOVA and length become PRP1, PRP2 and a PRP list.
 *
 * Rules: PRP1 is the buffer address and is the only entry that may carry an
 * offset into its page (it must be dword aligned). Every further page is a
 * page-aligned entry. One more page: PRP2 points at it. More: PRP2 points at a
 * PRP list holding pages 2..n; when a list page fills up, its last slot points
 * at the next list page instead (list pages are contiguous here).
 *
 * Addresses are numbers (exact up to 2^53; user space IOVAs are), so the
 * per-I/O path allocates nothing.
 */
import { writeAddress } from './address.js';
import { SqeOffset } from './sqe.js';

export const PRP_ENTRY_SIZE = 8;

function checkArgs(iova: number, length: number, pageSize: number): void {
  if (!Number.isSafeInteger(iova) || iova < 0 || iova % 4 !== 0) {
    throw new RangeError(`PRP1 must be a dword-aligned address, got ${iova}`);
  }
  if (!Number.isSafeInteger(length) || length < 1) throw new RangeError(`transfer length must be >= 1, got ${length}`);
  if (pageSize < 4096 || (pageSize & (pageSize - 1)) !== 0) {
    throw new RangeError(`memory page size must be a power of two >= 4096, got ${pageSize}`);
  }
}

/** Memory pages the buffer touches (the number of PRP entries it needs, PRP1 included). */
export function prpPageCount(iova: number, length: number, pageSize: number): number {
  checkArgs(iova, length, pageSize);
  return Math.ceil(((iova % pageSize) + length) / pageSize);
}

/** PRP entries that go into a PRP list (pages 2..n); 0 when PRP1 and PRP2 suffice. */
export function prpListEntriesNeeded(iova: number, length: number, pageSize: number): number {
  const pages = prpPageCount(iova, length, pageSize);
  return pages > 2 ? pages - 1 : 0;
}

/** Bytes of list memory for a page-aligned PRP list, chain pointers between list pages included. */
export function prpListBytesNeeded(iova: number, length: number, pageSize: number): number {
  const entries = prpListEntriesNeeded(iova, length, pageSize);
  const perPage = pageSize / PRP_ENTRY_SIZE;
  const chains = entries > perPage ? Math.ceil((entries - perPage) / (perPage - 1)) : 0;
  return (entries + chains) * PRP_ENTRY_SIZE;
}

/** Where the PRP list goes: `buf` at `offset`, which the controller sees at `iova` (page aligned). */
export interface PrpListMemory {
  buf: Buffer;
  offset: number;
  iova: number;
}

/**
 * Fills PRP1 and PRP2 of the SQE at `sqeOffset`, and the PRP list in `list` when
 * the buffer spans more than two pages.
 * @throws RangeError for a misaligned address, a missing or too small list
 */
export function writePrps(
  sqe: Buffer,
  sqeOffset: number,
  iova: number,
  length: number,
  pageSize: number,
  list?: PrpListMemory,
): void {
  const pages = prpPageCount(iova, length, pageSize);
  const firstPageEnd = iova - (iova % pageSize) + pageSize;
  writeAddress(sqe, sqeOffset + SqeOffset.PRP1, iova);
  if (pages === 1) {
    writeAddress(sqe, sqeOffset + SqeOffset.PRP2, 0);
    return;
  }
  if (pages === 2) {
    writeAddress(sqe, sqeOffset + SqeOffset.PRP2, firstPageEnd);
    return;
  }
  if (!list) throw new RangeError(`a ${length}-byte transfer spans ${pages} pages and needs a PRP list`);
  if (list.iova % pageSize !== 0) throw new RangeError(`PRP list IOVA must be page aligned, got ${list.iova}`);
  const bytes = prpListBytesNeeded(iova, length, pageSize);
  if (list.buf.length - list.offset < bytes) {
    throw new RangeError(`PRP list needs ${bytes} bytes, got ${list.buf.length - list.offset}`);
  }
  writeAddress(sqe, sqeOffset + SqeOffset.PRP2, list.iova);
  const perPage = pageSize / PRP_ENTRY_SIZE;
  let slot = 0;
  for (let page = 1; page < pages; page++) {
    const remaining = pages - page;
    // The last slot of a list page links to the next one, unless one entry is left for it.
    if (slot % perPage === perPage - 1 && remaining > 1) {
      writeAddress(list.buf, list.offset + slot * PRP_ENTRY_SIZE, list.iova + (slot + 1) * PRP_ENTRY_SIZE);
      slot++;
    }
    writeAddress(list.buf, list.offset + slot * PRP_ENTRY_SIZE, firstPageEnd + (page - 1) * pageSize);
    slot++;
  }
}
