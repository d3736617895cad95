/**
 * The Error Information log of one controller (log page 01h): the most recent
 * failed commands, newest first, each with a unique, growing error count.
 */
import { buildErrorLog, emptyErrorEntry, type ErrorInformationEntry } from '../spec/log-pages.js';

/** Parameter Error Location when no single field is to blame. */
const NO_ERROR_LOCATION = 0xffff;

/** Entries kept (Identify ELPE + 1). */
export const ERROR_LOG_ENTRIES = 128;

/** What the target knows about a failed command. */
export interface ErrorRecord {
  sqid: number;
  cid: number;
  /** The 15-bit status field. */
  status: number;
  opc: number;
  nsid: number;
  lba: number;
  trtype: number;
}

export class ErrorLog {
  /** Ring of the newest entries; `next` is where the next one goes. */
  private readonly ring: ErrorInformationEntry[] = [];
  private next = 0;
  /** Errors ever logged (SMART "number of error information log entries"). */
  count = 0;

  record(r: ErrorRecord): void {
    this.count++;
    const entry: ErrorInformationEntry = {
      ...emptyErrorEntry(),
      error_count: BigInt(this.count),
      sqid: r.sqid,
      cmdid: r.cid,
      status_field: (r.status << 1) & 0xffff,
      parm_error_location: NO_ERROR_LOCATION,
      lba: BigInt(r.lba),
      nsid: r.nsid,
      trtype: r.trtype,
      opcode: r.opc,
    };
    this.ring[this.next] = entry;
    this.next = (this.next + 1) % ERROR_LOG_ENTRIES;
  }

  /** The whole log page (ELPE + 1 entries), newest first, unused entries zero. */
  build(): Buffer {
    const newestFirst: ErrorInformationEntry[] = [];
    for (let i = 1; i <= this.ring.length; i++) {
      newestFirst.push(this.ring[(this.next - i + ERROR_LOG_ENTRIES) % ERROR_LOG_ENTRIES]!);
    }
    return buildErrorLog(newestFirst, ERROR_LOG_ENTRIES);
  }
}
