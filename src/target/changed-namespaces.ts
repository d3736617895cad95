/**
 * The Changed Namespace List of one controller (log page 04h): NSIDs whose
 * attributes changed since the host last read the page. Past 1024 entries the
 * spec replaces the list with the single entry FFFFFFFFh ("more than fit").
 */
import { CHANGED_NS_LIST_OVERFLOW } from '../spec/log-pages.js';
import { NSID_LIST_MAX } from '../spec/namespace-lists.js';

export class ChangedNamespaceList {
  private readonly nsids = new Set<number>();
  private overflowed = false;

  add(nsid: number): void {
    if (this.overflowed || this.nsids.has(nsid)) return;
    if (this.nsids.size === NSID_LIST_MAX) {
      this.overflowed = true;
      this.nsids.clear();
      return;
    }
    this.nsids.add(nsid);
  }

  /** The NSIDs in ascending order (or [FFFFFFFFh] after an overflow); `clear` empties the list. */
  read(clear: boolean): number[] {
    const list = this.overflowed ? [CHANGED_NS_LIST_OVERFLOW] : [...this.nsids].sort((a, b) => a - b);
    if (clear) {
      this.nsids.clear();
      this.overflowed = false;
    }
    return list;
  }
}
