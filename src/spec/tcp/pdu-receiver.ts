/**
 * Streaming NVMe/TCP PDU receiver, modelled on Linux `tcp.c`'s
 * RECV_PDU -> RECV_DATA -> RECV_DDGST state machine.
 *
 * It takes socket chunks of any size (1 byte to many PDUs), never
 * concatenates them, keeps one reusable header buffer, and puts data where
 * the consumer says (zero copy into the command's buffer), else hands it over
 * as a view of the incoming chunk (copying only when the data straddles
 * chunks). Every header is validated from its common header before anything
 * else is buffered, so a hostile PLEN costs nothing.
 *
 * A host transport, in short:
 *
 *     const rx = new PduReceiver({ role: 'host', maxDataLength: mdtsBytes, handler: {
 *       onDataPdu: (hdr, place) => place.receiveInto(readBufferOf(hdr.cccid), hdr.datao),
 *       onPdu: (hdr, data) => { switch (hdr.type) {
 *         case PduType.IC_RESP: { const ic = parseIcResp(hdr); checkIcResp(ic, asked); rx.setDigests(ic.hdgst, ic.ddgst); break; }
 *         case PduType.CAPSULE_RESP: events.onCompletion(hdr.buffer, PduOffset.CQE); break;
 *         case PduType.C2H_DATA: if (hdr.success) completeWithSuccess(hdr.cccid); break;
 *         case PduType.R2T: sendH2CData(hdr.cccid, hdr.ttag, hdr.r2to, hdr.r2tl); break;
 *         case PduType.C2H_TERM_REQ: fail(hdr.fes, data); break;
 *       } },
 *       onDataDigestError: (hdr, err) => failCommand(hdr.cccid, err),
 *       onError: (err) => terminate(err, rx.offendingHeader),
 *     } });
 *     socket.on('data', (chunk) => rx.push(chunk));
 */
import { ProtocolError } from '../errors.js';
import { crc32c } from './crc32c.js';
import { DataDigestError, PduError } from './pdu-error.js';
import { PduHeader } from './pdu-header.js';
import {
  ChOffset,
  DIGEST_SIZE,
  Fes,
  IC_PDU_SIZE,
  PduFlag,
  PduOffset,
  PduType,
  PDU_COMMON_HEADER_SIZE,
  PDU_MAX_DATA_OFFSET,
  PDU_TYPES,
  pdaAlignment,
  TERM_REQ_MAX_SIZE,
  type PduTypeInfo,
} from './pdu-types.js';

/** Which end of the connection receives: a host receives controller PDUs and vice versa. */
export type PduRole = 'host' | 'controller';

/** Handed to `PduHandler.onDataPdu` to choose where the data of that PDU lands. */
export interface DataPlacement {
  /**
   * Copy this PDU's data straight into `buffer` from `offset` on (e.g. a
   * host's read buffer at DATAO, a target's command buffer). Throws a
   * PduError (Data Transfer Out of Range) when the data does not fit.
   * Only valid during `onDataPdu`.
   */
  receiveInto(buffer: Uint8Array, offset: number): void;
}

/**
 * What the receiver calls, synchronously from `push`. The `hdr` argument is
 * one view over the receiver's header buffer, reused for every PDU: it is
 * valid from `onDataPdu` until `onPdu` / `onDataDigestError` of the same PDU
 * returns, and must not be kept beyond that (copy the fields you need).
 *
 * A callback may throw a `ProtocolError` to reject the PDU (unknown CCCID,
 * DATAO out of range, bad ICResp...): the receiver then fails exactly as for
 * its own errors and reports it through `onError`. Other exceptions are bugs
 * and propagate out of `push`.
 */
export interface PduHandler {
  /**
   * The header of a PDU with data (CapsuleCmd with in-capsule data, H2CData,
   * C2HData) arrived and its header digest checked out; its data has not been
   * read yet. Call `place.receiveInto()` to receive the data zero-copy, or
   * do nothing to get it as `onPdu`'s `data`. Optional.
   */
  onDataPdu?(hdr: PduHeader, place: DataPlacement): void;
  /**
   * One whole PDU, header and data digests verified.
   * `data` is null for PDUs without data and for data placed with
   * `receiveInto`. Otherwise it is the PDU's data (for a TermReq: the
   * offending header it quotes): a view of the pushed chunk when the data
   * came in one chunk, else a fresh Buffer. A view aliases the caller's chunk;
   * keep it only if the caller does not reuse its chunks ('data' events
   * don't; an `onread` buffer is overwritten by the next read).
   */
  onPdu(hdr: PduHeader, data: Buffer | null): void;
  /**
   * A data PDU arrived whole but its data digest did not match; `onPdu` is
   * not called for it. The stream stays in sync, so this is the consumer's
   * call: fail the command (Linux host) or the connection (Linux target).
   * A C2HData with `hdr.success` gets no CapsuleResp, so complete its
   * command here. Without this callback the mismatch is fatal (`onError`).
   */
  onDataDigestError?(hdr: PduHeader, err: DataDigestError): void;
  /**
   * The stream is broken. Called once; afterwards `push` ignores input until
   * `reset`. When `err` is a `PduError`, answer with a TermReq built from
   * `err.fes`, `err.fei` and `offendingHeader` before closing.
   */
  onError(err: ProtocolError): void;
}

export interface PduReceiverOptions {
  /** `host` receives ICResp, C2HTermReq, CapsuleResp, C2HData, R2T; `controller` receives ICReq, H2CTermReq, CapsuleCmd, H2CData. */
  role: PduRole;
  /** Header digests expected from the start; normally left false and set by `setDigests` after ICReq/ICResp. */
  headerDigest?: boolean;
  /** Data digests, likewise. */
  dataDigest?: boolean;
  /**
   * The PDU data alignment this side asked the peer for (HPDA in the host's
   * ICReq, CPDA in the controller's ICResp); PDO must be a multiple of
   * (pda + 1) * 4. Default 0.
   */
  pda?: number;
  /**
   * Largest data of one PDU accepted, in bytes (host: the largest transfer;
   * controller: max(in-capsule data size, MAXH2CDATA)). A PDU announcing more
   * is rejected from its common header. Adjustable later through the
   * `maxDataLength` property.
   */
  maxDataLength: number;
  handler: PduHandler;
}

const State = {
  /** Collecting the header (common header first, then up to PDO / PLEN). */
  HEADER: 0,
  DATA: 1,
  DDGST: 2,
  FAILED: 3,
} as const;
type State = (typeof State)[keyof typeof State];

const HEADER_BUFFER_SIZE = Math.max(PDU_MAX_DATA_OFFSET + 1, TERM_REQ_MAX_SIZE, IC_PDU_SIZE);

export class PduReceiver implements DataPlacement {
  /** Largest data of one PDU accepted, in bytes. */
  maxDataLength: number;

  private readonly role: PduRole;
  private readonly handler: PduHandler;
  private readonly initialHeaderDigest: boolean;
  private readonly initialDataDigest: boolean;
  private readonly alignment: number;
  private readonly headerBuffer = Buffer.alloc(HEADER_BUFFER_SIZE);
  private readonly hdr = new PduHeader(this.headerBuffer);
  private readonly ddgstBuffer = Buffer.alloc(DIGEST_SIZE);

  private headerDigest: boolean;
  private dataDigest: boolean;
  private initialized = false;
  private state: State = State.HEADER;
  /** Bytes of the header buffer filled, and how many the current stage needs. */
  private have = 0;
  private need = PDU_COMMON_HEADER_SIZE;
  /** Header bytes of the PDU being handled or that failed, kept for `offendingHeader`. */
  private quoted = 0;
  /** True once the common header passed validation and `need` covers the whole header. */
  private headerSized = false;
  private info: PduTypeInfo | undefined;

  private dataLength = 0;
  private dataReceived = 0;
  /** Where data is copied (consumer's buffer or a straddle copy), or null. */
  private dest: Uint8Array | null = null;
  private destOffset = 0;
  /** True when `dest` was supplied through `receiveInto`. */
  private placed = false;
  /** The data as delivered to `onPdu` when not placed. */
  private data: Buffer | null = null;
  private dataCrc = 0;
  private ddgstHave = 0;
  private placing = false;

  constructor(opts: PduReceiverOptions) {
    this.role = opts.role;
    this.handler = opts.handler;
    this.maxDataLength = opts.maxDataLength;
    this.initialHeaderDigest = this.headerDigest = opts.headerDigest ?? false;
    this.initialDataDigest = this.dataDigest = opts.dataDigest ?? false;
    this.alignment = pdaAlignment(opts.pda ?? 0);
  }

  /**
   * Digests negotiated by ICReq/ICResp; they apply from the next PDU on.
   * Call it from `onPdu` of the ICResp (host) or of the ICReq (controller):
   * the next PDU may already sit in the same chunk. The IC PDUs themselves
   * never carry digests.
   */
  setDigests(headerDigest: boolean, dataDigest: boolean): void {
    this.headerDigest = headerDigest;
    this.dataDigest = dataDigest;
  }

  /** True between PDUs: nothing of a next PDU has been received. */
  get atPduBoundary(): boolean {
    return this.state === State.HEADER && this.have === 0;
  }

  /** True after an error, until `reset`. */
  get failed(): boolean {
    return this.state === State.FAILED;
  }

  /**
   * After an error: the header of the offending PDU as far as it was received
   * (at least its 8-byte common header, at most HLEN), to quote in a TermReq.
   * A view of the header buffer, valid until `reset`.
   */
  get offendingHeader(): Buffer {
    const hlen = this.headerBuffer[ChOffset.HLEN]!;
    const end = this.quoted >= PDU_COMMON_HEADER_SIZE && hlen > 0 ? Math.min(this.quoted, hlen) : this.quoted;
    return this.headerBuffer.subarray(0, end);
  }

  /** Back to the state of a new connection: expecting ICReq/ICResp, digests as constructed. */
  reset(): void {
    this.headerDigest = this.initialHeaderDigest;
    this.dataDigest = this.initialDataDigest;
    this.initialized = false;
    this.quoted = 0;
    this.nextPdu();
  }

  /**
   * Feeds bytes from the socket: `chunk[0, length)`, so a reused read buffer
   * (Node's `onread`) needs no view per read. Never throws for bad input:
   * errors go to `handler.onError`.
   */
  push(chunk: Buffer, length = chunk.length): void {
    if (this.state === State.FAILED) return;
    let err: ProtocolError;
    try {
      this.consume(chunk, length);
      return;
    } catch (e) {
      if (!(e instanceof ProtocolError)) throw e;
      err = e;
    }
    this.state = State.FAILED;
    this.handler.onError(err);
  }

  receiveInto(buffer: Uint8Array, offset: number): void {
    if (!this.placing) throw new Error('receiveInto() is only valid during onDataPdu');
    if (!Number.isInteger(offset) || offset < 0 || offset + this.dataLength > buffer.length) {
      const isData = this.info!.type !== PduType.CAPSULE_CMD;
      throw new PduError(
        isData ? 'datal' : 'plen',
        this.dataLength,
        `${this.info!.name} data [${offset}, ${offset + this.dataLength}) does not fit the ${buffer.length}-byte command buffer`,
        Fes.DATA_TRANSFER_OUT_OF_RANGE,
        isData ? PduOffset.DATAL : ChOffset.PLEN,
      );
    }
    this.dest = buffer;
    this.destOffset = offset;
    this.placed = true;
  }

  private consume(chunk: Buffer, end: number): void {
    let pos = 0;
    while (pos < end) {
      switch (this.state) {
        case State.HEADER:
          pos = this.readHeader(chunk, pos, end);
          break;
        case State.DATA:
          pos = this.readData(chunk, pos, end);
          break;
        case State.DDGST:
          pos = this.readDataDigest(chunk, pos, end);
          break;
        case State.FAILED:
          return;
      }
    }
  }

  private readHeader(chunk: Buffer, pos: number, end: number): number {
    const n = Math.min(this.need - this.have, end - pos);
    copyShort(chunk, pos, this.headerBuffer, this.have, n);
    this.have += n;
    this.quoted = this.have;
    pos += n;
    if (this.have < this.need) return pos;
    if (!this.headerSized) {
      this.need = this.checkCommonHeader();
      this.headerSized = true;
      if (this.have < this.need) return pos;
    }
    this.headerComplete();
    return pos;
  }

  /** Validates the common header in spec field order; returns how many header bytes to collect. */
  private checkCommonHeader(): number {
    const h = this.hdr;
    const type = h.type;
    const info = PDU_TYPES[type];
    if (info === undefined) throw headerFieldError('pdu-type', type, 'a defined PDU type', ChOffset.PDU_TYPE);
    if (info.sender === this.role) {
      throw headerFieldError('pdu-type', type, `a PDU a ${this.role} receives, not ${info.name}`, ChOffset.PDU_TYPE);
    }
    if (info.data === 'ic' ? this.initialized : !this.initialized && info.data !== 'term') {
      throw new PduError(
        'pdu-type',
        type,
        this.initialized
          ? `${info.name} after the connection was initialized`
          : `${this.role === 'host' ? 'ICResp' : 'ICReq'} first, not ${info.name}`,
        Fes.PDU_SEQUENCE_ERROR,
        ChOffset.PDU_TYPE,
      );
    }
    this.info = info;

    const flags = h.flags;
    if ((flags & ~info.validFlags) !== 0) {
      const valid = `0x${info.validFlags.toString(16)}`;
      throw headerFieldError('flags', flags, `only bits ${valid} in ${info.name}`, ChOffset.FLAGS);
    }
    const carriesDigests = info.data === 'data' || info.data === 'none';
    const hd = carriesDigests && this.headerDigest ? DIGEST_SIZE : 0;
    if ((flags & PduFlag.HDGSTF) !== (hd > 0 ? PduFlag.HDGSTF : 0)) {
      const want = hd > 0 ? 'set (header digests are on)' : 'clear (header digests are off)';
      throw headerFieldError('flags', flags, `HDGSTF ${want}`, ChOffset.FLAGS);
    }
    if ((flags & (PduFlag.SUCCESS | PduFlag.LAST_PDU)) === PduFlag.SUCCESS) {
      throw headerFieldError('flags', flags, 'SUCCESS only together with LAST_PDU', ChOffset.FLAGS);
    }

    const hlen = h.hlen;
    if (hlen !== info.hlen) throw headerFieldError('hlen', hlen, `${info.hlen} for ${info.name}`, ChOffset.HLEN);

    const plen = h.plen;
    const pdo = h.pdo;
    const fullHlen = hlen + hd;
    const hasData = info.data === 'data' && plen > fullHlen;
    if (info.data !== 'data' && pdo !== 0) throw headerFieldError('pdo', pdo, `0 in ${info.name}`, ChOffset.PDO);
    if (info.data === 'data' && (pdo !== 0 || hasData) && (pdo < fullHlen || pdo > plen || pdo % this.alignment !== 0)) {
      throw headerFieldError(
        'pdo',
        pdo,
        `a multiple of ${this.alignment} from ${fullHlen} (HLEN + HDGST) to PLEN ${plen}`,
        ChOffset.PDO,
      );
    }
    const dd = hasData && this.dataDigest ? DIGEST_SIZE : 0;
    if ((flags & PduFlag.DDGSTF) !== (dd > 0 ? PduFlag.DDGSTF : 0)) {
      const why = !this.dataDigest ? 'data digests are off' : hasData ? 'data digests are on' : 'there is no data';
      throw headerFieldError('flags', flags, `DDGSTF ${dd > 0 ? 'set' : 'clear'} (${why})`, ChOffset.FLAGS);
    }
    return this.checkLength(info, plen, pdo, fullHlen, hasData, dd);
  }

  /** Checks PLEN against the type; sets `dataLength` and returns how many header bytes to collect. */
  private checkLength(
    info: PduTypeInfo,
    plen: number,
    pdo: number,
    fullHlen: number,
    hasData: boolean,
    dd: number,
  ): number {
    switch (info.data) {
      case 'ic':
        if (plen !== IC_PDU_SIZE) throw headerFieldError('plen', plen, `${IC_PDU_SIZE} for ${info.name}`, ChOffset.PLEN);
        this.dataLength = 0;
        return IC_PDU_SIZE;
      case 'term':
        if (plen < info.hlen || plen > TERM_REQ_MAX_SIZE) {
          throw headerFieldError('plen', plen, `${info.hlen} to ${TERM_REQ_MAX_SIZE} for ${info.name}`, ChOffset.PLEN);
        }
        this.dataLength = plen - info.hlen;
        return plen;
      case 'none':
        if (plen !== fullHlen) {
          throw headerFieldError('plen', plen, `${fullHlen} (HLEN + HDGST) for ${info.name}`, ChOffset.PLEN);
        }
        this.dataLength = 0;
        return plen;
      case 'data': {
        if (!hasData) {
          if (plen !== fullHlen) throw headerFieldError('plen', plen, `at least ${fullHlen} (HLEN + HDGST)`, ChOffset.PLEN);
          this.dataLength = 0;
          return plen;
        }
        const dataLength = plen - pdo - dd;
        if (dataLength <= 0) {
          throw headerFieldError('plen', plen, `more than PDO ${pdo} + DDGST ${dd} in ${info.name}`, ChOffset.PLEN);
        }
        if (dataLength > this.maxDataLength) {
          throw new PduError(
            'plen',
            plen,
            `${info.name} data of ${dataLength} bytes, more than the ${this.maxDataLength} accepted`,
            Fes.DATA_TRANSFER_LIMIT_EXCEEDED,
            ChOffset.PLEN,
          );
        }
        this.dataLength = dataLength;
        return pdo;
      }
    }
  }

  private headerComplete(): void {
    const h = this.hdr;
    const info = this.info!;
    if (h.hasHeaderDigest) {
      const computed = crc32c(this.headerBuffer, 0, info.hlen);
      if (computed !== h.headerDigest) {
        throw new PduError(
          'hdgst',
          h.headerDigest,
          `header digest of ${info.name} should be 0x${computed.toString(16).padStart(8, '0')}`,
          Fes.HEADER_DIGEST_ERROR,
          info.hlen,
        );
      }
    }
    if ((info.type === PduType.H2C_DATA || info.type === PduType.C2H_DATA) && h.datal !== this.dataLength) {
      throw headerFieldError('datal', h.datal, `${this.dataLength} (PLEN - PDO - DDGST)`, PduOffset.DATAL);
    }
    if (info.data === 'ic') this.initialized = true;

    if (info.data !== 'data' || this.dataLength === 0) {
      const quote = info.data === 'term' && this.dataLength > 0;
      const data = quote ? Buffer.from(this.headerBuffer.subarray(info.hlen, h.plen)) : null;
      this.nextPdu();
      this.handler.onPdu(h, data);
      return;
    }
    this.state = State.DATA;
    if (this.handler.onDataPdu) {
      this.placing = true;
      try {
        this.handler.onDataPdu(h, this);
      } finally {
        this.placing = false;
      }
    }
  }

  private readData(chunk: Buffer, pos: number, end: number): number {
    const remaining = this.dataLength - this.dataReceived;
    if (this.dest === null) {
      if (end - pos >= remaining) {
        this.data = chunk.subarray(pos, pos + remaining);
        this.dataCrc = this.hdr.hasDataDigest ? crc32c(chunk, pos, pos + remaining) : 0;
        this.dataReceived = this.dataLength;
        return this.dataComplete(pos + remaining);
      }
      const copy = Buffer.allocUnsafe(this.dataLength);
      this.dest = copy;
      this.destOffset = 0;
      this.data = copy;
    }
    const n = Math.min(remaining, end - pos);
    chunk.copy(this.dest, this.destOffset + this.dataReceived, pos, pos + n);
    this.dataReceived += n;
    if (this.dataReceived < this.dataLength) return pos + n;
    if (this.hdr.hasDataDigest) this.dataCrc = crc32c(this.dest, this.destOffset, this.destOffset + this.dataLength);
    return this.dataComplete(pos + n);
  }

  private dataComplete(pos: number): number {
    if (this.hdr.hasDataDigest) {
      this.state = State.DDGST;
      this.ddgstHave = 0;
    } else {
      this.deliverData();
    }
    return pos;
  }

  private readDataDigest(chunk: Buffer, pos: number, end: number): number {
    const n = Math.min(DIGEST_SIZE - this.ddgstHave, end - pos);
    copyShort(chunk, pos, this.ddgstBuffer, this.ddgstHave, n);
    this.ddgstHave += n;
    if (this.ddgstHave < DIGEST_SIZE) return pos + n;
    const received = this.ddgstBuffer.readUInt32LE(0);
    if (received !== this.dataCrc) {
      const err = new DataDigestError(received, this.dataCrc, this.hdr.plen - DIGEST_SIZE);
      if (!this.handler.onDataDigestError) throw err;
      this.nextPdu();
      this.handler.onDataDigestError(this.hdr, err);
    } else {
      this.deliverData();
    }
    return pos + n;
  }

  private deliverData(): void {
    const data = this.placed ? null : this.data;
    this.nextPdu();
    this.handler.onPdu(this.hdr, data);
  }

  /**
   * Ready for the next PDU. Runs before the final callback of a PDU so the
   * handler may call `setDigests`; the header buffer is only overwritten by
   * the next `readHeader`, after the callback returned.
   */
  private nextPdu(): void {
    this.state = State.HEADER;
    this.have = 0;
    this.need = PDU_COMMON_HEADER_SIZE;
    this.headerSized = false;
    this.dataLength = 0;
    this.dataReceived = 0;
    this.dest = null;
    this.placed = false;
    this.data = null;
  }
}

/**
 * Copies the `n` bytes at `from` of `src` to `to` of `dst`: headers and
 * digests, at most a few hundred bytes. A byte loop, because `Buffer#copy` of
 * a sub-range allocates a view of the source on every call (Node 20), which
 * per PDU showed up as several percent of a host's CPU.
 */
function copyShort(src: Uint8Array, from: number, dst: Uint8Array, to: number, n: number): void {
  for (let i = 0; i < n; i++) dst[to + i] = src[from + i]!;
}

function headerFieldError(field: string, value: number, expected: string, fei: number): PduError {
  return new PduError(field, value, `expected ${expected}`, Fes.INVALID_PDU_HEADER_FIELD, fei);
}
