/**
 * The controller's side of one NVMe/TCP connection's output: PDU headers and
 * small read data are encoded back to back into a reusable arena, larger read
 * data goes out as its own chunks without a copy, and everything queued during
 * one event-loop turn leaves in a single write (one writev), as Linux nvmet
 * batches with MSG_MORE and SPDK with its socket group flush.
 *
 * Small data is copied because each chunk handed to a Node socket costs a
 * stream write request, far more than copying a few KiB; with it a turn of
 * 4 KiB reads at any depth is one contiguous write.
 *
 * Flow control: while the socket's send buffer is full, reading from it
 * stops, so a host that does not read its completions cannot make the target
 * queue without bound.
 */
import type { Socket } from 'node:net';
import {
  DIGEST_SIZE,
  PduType,
  crc32c,
  encodeC2HData,
  encodeCapsuleResp,
  encodeIcResp,
  encodeR2T,
  encodeTermReq,
  pduFormat,
  writeDigest,
  type IcRespInit,
  type PduFormat,
} from '../../../spec/tcp/index.js';

/** Bytes of one arena: a turn of 64 4 KiB reads with their headers fits; a batch that needs more continues in another. */
const ARENA_SIZE = 256 * 1024;
/** Room reserved for any one header: PDO is at most 255, a TermReq 152 bytes. */
const MAX_HEADER = 256;
/** Read data up to this size is copied into the arena behind its header; larger data is sent as it is. */
export const INLINE_DATA_MAX = 4096;

/** A buffer of headers and small data; back in the free list once the write that carried it completes. */
class Arena {
  readonly buf = Buffer.allocUnsafeSlow(ARENA_SIZE);
  readonly release: () => void;

  constructor(free: Arena[]) {
    this.release = () => free.push(this);
  }
}

export class PduSender {
  /** Digests and HPDA padding for this connection; set once ICReq is answered. */
  format: PduFormat = pduFormat(false, false);
  private readonly free: Arena[] = [];
  private arena: Arena;
  private pos = 0;
  private segmentStart = 0;
  /** Index in `chunks` of the last segment taken from the current arena, or -1. */
  private arenaLastChunk = -1;
  private readonly chunks: Buffer[] = [];
  /** Write callbacks by chunk index: an arena's release rides on its last chunk. */
  private readonly callbacks: ((() => void) | undefined)[] = [];
  private scheduled = false;
  private readonly flushSoon = (): void => this.flush();

  constructor(private readonly socket: Socket) {
    this.arena = new Arena(this.free);
    socket.on('drain', () => socket.resume());
  }

  icResp(init: IcRespInit): void {
    const at = this.reserve(MAX_HEADER);
    this.commit(at, encodeIcResp(this.arena.buf, at, init));
  }

  /** A CapsuleResp carrying the 16-byte CQE at `cqe[0]` (copied now). */
  capsuleResp(cqe: Buffer): void {
    const at = this.reserve(MAX_HEADER);
    this.commit(at, encodeCapsuleResp(this.arena.buf, at, this.format, cqe, 0));
  }

  r2t(cccid: number, ttag: number, r2to: number, r2tl: number): void {
    const at = this.reserve(MAX_HEADER);
    this.commit(at, encodeR2T(this.arena.buf, at, this.format, cccid, ttag, r2to, r2tl));
  }

  /**
   * One C2HData PDU with `data[start, end)` as the bytes at offset `datao` of
   * the command's data. Data larger than INLINE_DATA_MAX is sent as it is, so
   * it must stay unchanged until the socket took it (the core guarantees that
   * for read data); smaller data is copied now.
   */
  c2hData(cccid: number, data: Buffer, start: number, end: number, datao: number, last: boolean, success: boolean): void {
    const datal = end - start;
    const inline = datal <= INLINE_DATA_MAX;
    const at = this.reserve(inline ? MAX_HEADER + datal + DIGEST_SIZE : MAX_HEADER);
    const arena = this.arena.buf;
    const hlen = encodeC2HData(arena, at, this.format, cccid, datao, datal, last, success);
    const piece = start === 0 && end === data.length ? data : data.subarray(start, end);
    if (inline) {
      arena.set(piece, at + hlen);
      this.commit(at, hlen + datal);
    } else {
      this.commit(at, hlen);
      this.closeSegment();
      this.chunks.push(piece);
      this.callbacks.push(undefined);
    }
    if (this.format.ddgst) {
      const dd = this.reserve(DIGEST_SIZE);
      this.commit(dd, writeDigest(this.arena.buf, dd, crc32c(data, start, end)));
    }
  }

  /** A C2HTermReq quoting (up to 128 bytes of) the offending PDU header. */
  termReq(fes: number, fei: number, offendingHeader: Uint8Array): void {
    const at = this.reserve(MAX_HEADER);
    this.commit(at, encodeTermReq(this.arena.buf, at, PduType.C2H_TERM_REQ, fes, fei, offendingHeader));
  }

  /** Hands everything queued to the socket in one (corked) write. Runs by itself once per event-loop turn. */
  flush(): void {
    this.scheduled = false;
    this.closeSegment();
    if (this.chunks.length === 0) return;
    this.retireArena();
    const socket = this.socket;
    if (socket.destroyed || !socket.writable) {
      this.chunks.length = 0;
      this.callbacks.length = 0;
      return;
    }
    const n = this.chunks.length;
    if (n === 1) {
      socket.write(this.chunks[0]!, this.callbacks[0]);
    } else {
      socket.cork();
      for (let i = 0; i < n; i++) socket.write(this.chunks[i]!, this.callbacks[i]);
      socket.uncork();
    }
    this.chunks.length = 0;
    this.callbacks.length = 0;
    if (socket.writableNeedDrain) socket.pause();
  }

  /** Offset in the arena where `n` bytes (at most ARENA_SIZE) may be written. */
  private reserve(n: number): number {
    if (ARENA_SIZE - this.pos < n) {
      this.closeSegment();
      this.retireArena();
    }
    return this.pos;
  }

  private commit(at: number, bytes: number): void {
    this.pos = at + bytes;
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(this.flushSoon);
    }
  }

  /** Queues the arena bytes written since the last chunk as one chunk. */
  private closeSegment(): void {
    if (this.pos === this.segmentStart) return;
    this.chunks.push(this.arena.buf.subarray(this.segmentStart, this.pos));
    this.callbacks.push(undefined);
    this.arenaLastChunk = this.chunks.length - 1;
    this.segmentStart = this.pos;
  }

  /** Stops writing into the current arena: it is freed when its last chunk is written. */
  private retireArena(): void {
    const old = this.arena;
    if (this.arenaLastChunk >= 0) this.callbacks[this.arenaLastChunk] = old.release;
    else this.free.push(old);
    this.arena = this.free.pop() ?? new Arena(this.free);
    this.pos = 0;
    this.segmentStart = 0;
    this.arenaLastChunk = -1;
  }
}
