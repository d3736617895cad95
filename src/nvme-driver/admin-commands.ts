/**
 * Admin commands with typed results (SPDK's nvme_ctrlr_cmd.c): each builds its
 * SQE with the spec layouts and runs it on the admin queue pair.
 */
import {
  Abort,
  CreateIoCq,
  CreateIoSq,
  DeleteIoCq,
  DeleteIoSq,
  encodeCommand,
  GetFeatures,
  GetLogPage,
  Identify,
  KeepAlive,
  SetFeatures,
} from '../spec/commands.js';
import { IDENTIFY_DATA_SIZE } from '../spec/identify.js';
import { SQE_SIZE } from '../spec/sqe.js';
import type { QueuePair, RawCompletion } from './queue-pair.js';

/** Get Log Page reads at most this much per command; longer logs are read in chunks at increasing offsets. */
const LOG_PAGE_CHUNK_BYTES = 4096;

/** Options of `getLogPage`. */
export interface GetLogPageOptions {
  /** Byte offset into the log (a multiple of 4). Default 0. */
  offset?: number;
  /** Namespace ID (0xffffffff: every namespace); default 0. */
  nsid?: number;
  /** Log Specific Parameter. */
  lsp?: number;
  /** Log Specific Identifier. */
  lsi?: number;
  /** Retain Asynchronous Event: do not clear the event this log reports. Default false. */
  rae?: boolean;
  /** Command Set Identifier. */
  csi?: number;
}

/** Options of `setFeatures`. */
export interface SetFeaturesOptions {
  nsid?: number;
  cdw12?: number;
  cdw13?: number;
  /** Save the value across resets (SV). */
  save?: boolean;
  /** Data for features that carry some (Host Identifier, LBA Range Type...). */
  data?: Buffer;
}

/** Runs admin commands on one admin queue pair. */
export class AdminCommands {
  constructor(readonly qp: QueuePair) {}

  /** Identify: the 4096-byte data structure selected by `cns`. */
  async identify(cns: number, nsid = 0, cntid = 0, csi = 0): Promise<Buffer> {
    const data = Buffer.alloc(IDENTIFY_DATA_SIZE);
    await this.run(encodeCommand(Identify, sqe(), { cns, nsid, cntid, csi }), data);
    return data;
  }

  /**
   * Get Log Page: `length` bytes (a multiple of 4) from `opts.offset`, read in
   * chunks of at most `LOG_PAGE_CHUNK_BYTES`. RAE is set on every chunk but the
   * last, so reading a log in pieces does not clear its event early.
   */
  async getLogPage(lid: number, length: number, opts: GetLogPageOptions = {}): Promise<Buffer> {
    const start = opts.offset ?? 0;
    if (length <= 0 || length % 4 !== 0 || start % 4 !== 0) {
      throw new RangeError(`getLogPage: length and offset must be multiples of 4 (length > 0), got ${length} at ${start}`);
    }
    const out = Buffer.alloc(length);
    for (let done = 0; done < length; done += LOG_PAGE_CHUNK_BYTES) {
      const size = Math.min(LOG_PAGE_CHUNK_BYTES, length - done);
      const last = done + size >= length;
      const cmd = encodeCommand(GetLogPage, sqe(), {
        lid,
        nsid: opts.nsid ?? 0,
        lsp: opts.lsp ?? 0,
        lsi: opts.lsi ?? 0,
        csi: opts.csi ?? 0,
        rae: last ? (opts.rae ?? false) : true,
        numd: size / 4,
        offset: start + done,
      });
      await this.run(cmd, out.subarray(done, done + size));
    }
    return out;
  }

  /** Get Features: completion dword 0 (the feature's value, or its capabilities for SEL 3). */
  async getFeatures(fid: number, cdw11 = 0, sel = 0, nsid = 0): Promise<number> {
    return (await this.run(encodeCommand(GetFeatures, sqe(), { fid, cdw11, sel, nsid }))).cdw0;
  }

  /** Set Features: completion dword 0 (some features report what was granted there). */
  async setFeatures(fid: number, cdw11: number, opts: SetFeaturesOptions = {}): Promise<number> {
    const cmd = encodeCommand(SetFeatures, sqe(), {
      fid,
      cdw11,
      cdw12: opts.cdw12 ?? 0,
      cdw13: opts.cdw13 ?? 0,
      sv: opts.save ?? false,
      nsid: opts.nsid ?? 0,
    });
    return (await this.run(cmd, opts.data ?? null)).cdw0;
  }

  async keepAlive(): Promise<void> {
    await this.run(encodeCommand(KeepAlive, sqe(), {}));
  }

  /** Abort: asks the controller to abort command `cid` on queue `sqid`; dword 0 bit 0 set means it was not. */
  async abort(sqid: number, cid: number): Promise<number> {
    return (await this.run(encodeCommand(Abort, sqe(), { sqid, cid }))).cdw0;
  }

  /**
   * Create I/O Completion Queue (PCIe) at device address `iova`, physically
   * contiguous; `iv` is its MSI-X vector, or null for a polled queue.
   */
  async createIoCq(qid: number, qsize: number, iova: number, iv: number | null): Promise<void> {
    await this.run(encodeCommand(CreateIoCq, sqe(), { qid, qsize, prp1: iova, pc: true, ien: iv !== null, iv: iv ?? 0 }));
  }

  /** Create I/O Submission Queue (PCIe) at device address `iova`, posting to CQ `cqid`. */
  async createIoSq(qid: number, qsize: number, iova: number, cqid: number): Promise<void> {
    await this.run(encodeCommand(CreateIoSq, sqe(), { qid, qsize, prp1: iova, pc: true, cqid }));
  }

  async deleteIoSq(qid: number): Promise<void> {
    await this.run(encodeCommand(DeleteIoSq, sqe(), { qid }));
  }

  async deleteIoCq(qid: number): Promise<void> {
    await this.run(encodeCommand(DeleteIoCq, sqe(), { qid }));
  }

  private run(cmd: Buffer, data: Buffer | null = null): Promise<RawCompletion> {
    return this.qp.rawAsync(cmd, data);
  }
}

function sqe(): Buffer {
  return Buffer.alloc(SQE_SIZE);
}
