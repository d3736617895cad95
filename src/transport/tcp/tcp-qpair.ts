/**
 * One NVMe/TCP queue pair on the host side (Linux drivers/nvme/host/tcp.c,
 * SPDK lib/nvme/nvme_tcp.c): one socket, the ICReq/ICResp exchange, then
 * CapsuleCmd out and CapsuleResp / C2HData / R2T in.
 *
 * Data placement: write data travels in the capsule when it fits the
 * in-capsule size, else the controller pulls it with R2T and gets H2CData PDUs
 * of at most MAXH2CDATA bytes each. Read data is copied from the socket
 * straight into the command's buffer at DATAO. Both completion styles are
 * understood: C2HData then a CapsuleResp (Linux targets), and SUCCESS on the
 * last C2HData with no CapsuleResp (SPDK targets), for which the completion
 * is synthesized here.
 *
 * Hot path: per-command state lives in typed arrays indexed by CID, PDU
 * headers are encoded into a reused arena, everything queued in a tick goes
 * out in one write, and nothing is allocated per command.
 */
import { connect as netConnect, type Socket } from 'node:net';
import type { QpairConnectOptions, TransportQpair } from '../transport.js';
import { QpairEventSource, QpairState } from '../qpair-events.js';
import { ProtocolError, TransportError } from '../../spec/errors.js';
import { CQE_SIZE, CqeOffset } from '../../spec/cqe.js';
import { SqeOffset } from '../../spec/sqe.js';
import { FABRICS_OPCODE } from '../../spec/opcodes.js';
import { commandDataDirection } from '../../spec/fabrics.js';
import { GenericStatus, isSuccess } from '../../spec/status.js';
import {
  ChOffset,
  checkIcResp,
  DIGEST_SIZE,
  encodeCapsuleCmd,
  encodeDataDigest,
  encodeH2CData,
  encodeIcReq,
  encodeTermReq,
  Fes,
  FES_NAMES,
  FES_WITH_FEI,
  IC_PDU_SIZE,
  parseIcResp,
  PDU_MAX_DATA_OFFSET,
  PduError,
  PduOffset,
  pduFormat,
  PduReceiver,
  PduType,
  pduTypeName,
  setCapsuleSgl,
  TERM_REQ_MAX_SIZE,
  type DataDigestError,
  type DataPlacement,
  type PduFormat,
  type PduHandler,
  type PduHeader,
} from '../../spec/tcp/index.js';
import { COMMAND_KIND_NAMES, CommandKind, CommandSlots } from './command-slots.js';
import { PduSendQueue } from './send-queue.js';
import { socketError } from './socket-errors.js';

/** Where a queue pair connects to. */
export interface TcpEndpoint {
  host: string;
  port: number;
  /** 0 lets the resolver pick (a host name without adrfam). */
  family: 0 | 4 | 6;
  /** Local address and port to connect from (transport ID `hostaddr` / `hostsvcid`). */
  localAddress?: string;
  localPort?: number;
}

/** Largest data transfer of one command; the driver also applies the controller's MDTS. */
export const TCP_MAX_TRANSFER_SIZE = 1024 * 1024;
/** In-capsule data on the admin queue, and for Fabrics commands on any queue (NVMe/TCP fixes 8 KiB). */
export const ADMIN_IN_CAPSULE_DATA_SIZE = 8192;
/** In-capsule data on I/O queues when the driver does not pass IOCCSZ: SPDK's target default. */
export const DEFAULT_IO_IN_CAPSULE_DATA_SIZE = 4096;

/** Socket reads land in one buffer per connection (no Buffer per read). */
const RECV_BUFFER_SIZE = 128 * 1024;
/** Payloads up to this size are copied next to their header: cheaper than another write. */
const COPY_MAX = 8192;
/** Room reserved for any PDU header with its digest and padding. */
const HEADER_ROOM = PDU_MAX_DATA_OFFSET + 1;
/** How long a closing socket may take to flush (TermReq, FIN) before it is destroyed. */
const CLOSE_GRACE_MS = 1000;
/** Status field reported for read data that failed its data digest (as Linux's host does). */
const DATA_TRANSFER_ERROR_STATUS = GenericStatus.DATA_TRANSFER_ERROR;

/** What a data buffer is to a command, by its data direction (opcode bits 1:0): none and bidirectional have no use for one. */
const KIND_OF_DIRECTION: readonly (CommandKind | null)[] = [null, CommandKind.WRITE, CommandKind.READ, null];

export class TcpQpair extends QpairEventSource implements TransportQpair, PduHandler {
  readonly qid: number;
  readonly qsize: number;
  readonly inCapsuleDataSize: number;
  readonly maxTransferSize = TCP_MAX_TRANSFER_SIZE;
  /** Negotiated in the ICResp: header digests on. */
  headerDigest = false;
  /** Negotiated in the ICResp: data digests on. */
  dataDigest = false;
  /** The controller's MAXH2CDATA from the ICResp. */
  maxH2CData = 0;

  /** Resolves once ICResp was accepted; rejects with the reason the connection failed. */
  private readonly opening: Promise<TcpQpair>;
  private handshake: { resolve: (qp: TcpQpair) => void; reject: (err: Error) => void } | null = null;
  private readonly closed: Promise<void>;
  private readonly opts: QpairConnectOptions;
  private readonly socket: Socket;
  private readonly recvBuffer = Buffer.allocUnsafe(RECV_BUFFER_SIZE);
  private readonly rx: PduReceiver;
  private readonly tx: PduSendQueue;
  private readonly slots: CommandSlots;
  private fmt: PduFormat = pduFormat(false, false);
  private timer: NodeJS.Timeout | undefined;
  /** Scratch CQE for completions the transport makes (SUCCESS flag, digest errors). */
  private readonly cqe = Buffer.alloc(CQE_SIZE);

  /**
   * Opens queue pair `opts.qid` to `endpoint`: TCP connect (TCP_NODELAY), ICReq
   * with the digests asked for, ICResp checked the way Linux checks it.
   *
   * @param label the address for messages, e.g. `127.0.0.1:4420` or `[::1]:4420`
   * @throws TransportError when the connection fails or times out (code ECONNREFUSED, ETIMEDOUT...)
   * @throws ProtocolError (a PduError) when the ICResp is unacceptable, naming the field
   */
  static connect(endpoint: TcpEndpoint, label: string, opts: QpairConnectOptions): Promise<TcpQpair> {
    return new TcpQpair(endpoint, label, opts).opening;
  }

  private constructor(endpoint: TcpEndpoint, label: string, opts: QpairConnectOptions) {
    super(`NVMe/TCP qid ${opts.qid} to ${label}`);
    this.opts = opts;
    this.qid = opts.qid;
    this.qsize = opts.qsize;
    this.inCapsuleDataSize =
      opts.qid === 0 ? ADMIN_IN_CAPSULE_DATA_SIZE : (opts.inCapsuleDataSize ?? DEFAULT_IO_IN_CAPSULE_DATA_SIZE);
    this.slots = new CommandSlots(opts.qsize);
    this.rx = new PduReceiver({ role: 'host', maxDataLength: TCP_MAX_TRANSFER_SIZE, handler: this });
    this.opening = new Promise((resolve, reject) => (this.handshake = { resolve, reject }));
    let onClosed!: () => void;
    this.closed = new Promise((resolve) => (onClosed = resolve));
    this.socket = netConnect({
      host: endpoint.host,
      port: endpoint.port,
      family: endpoint.family,
      localAddress: endpoint.localAddress,
      localPort: endpoint.localPort,
      noDelay: true,
      onread: { buffer: this.recvBuffer, callback: this.onRead },
    });
    this.tx = new PduSendQueue(this.socket);
    this.socket.once('connect', this.onConnect);
    this.socket.on('error', this.onSocketError);
    this.socket.once('close', () => {
      clearTimeout(this.timer);
      this.onSocketClose();
      onClosed();
    });
    this.timer = setTimeout(this.onConnectTimeout, opts.connectTimeoutMs);
  }

  submit(sqe: Buffer, data: Buffer | null): void {
    if (!this.readyToSubmit()) return;
    const cid = sqe.readUInt16LE(SqeOffset.CID);
    const length = data === null ? 0 : data.length;
    let kind: CommandKind = CommandKind.NO_DATA;
    let inCapsule = 0;
    if (length > 0) {
      const opc = sqe[SqeOffset.OPC]!;
      const fabrics = opc === FABRICS_OPCODE;
      const direction = commandDataDirection(sqe);
      const k = KIND_OF_DIRECTION[direction];
      if (k === null) {
        throw new RangeError(`opcode 0x${opc.toString(16)} moves no data one way (direction ${direction}) but was given ${length} bytes`);
      }
      kind = k;
      // Fabrics commands (Connect) always fit the admin capsule size, as in SPDK.
      if (k === CommandKind.WRITE && length <= (fabrics ? ADMIN_IN_CAPSULE_DATA_SIZE : this.inCapsuleDataSize)) {
        inCapsule = length;
      }
    }
    this.slots.open(cid, kind, data, inCapsule);
    setCapsuleSgl(sqe, 0, length, inCapsule > 0);
    const tx = this.tx;
    const off = tx.reserve(HEADER_ROOM);
    tx.commit(encodeCapsuleCmd(tx.buffer, off, this.fmt, sqe, 0, inCapsule));
    if (inCapsule > 0) this.queuePayload(data!, 0, inCapsule);
    tx.schedule();
  }

  /** Event driven: completions are delivered as data arrives. */
  processCompletions(): number {
    return 0;
  }

  /** Sends what is queued, ends the connection gracefully and resolves once the socket closed. */
  close(): Promise<void> {
    if (this.state === QpairState.READY) {
      this.state = QpairState.CLOSING;
      this.tx.flush();
      this.tx.discard();
      this.socket.end();
      this.destroyLater();
    }
    return this.closed;
  }

  // ---- PduHandler: called synchronously from rx.push ----

  onDataPdu(hdr: PduHeader, place: DataPlacement): void {
    const slot = this.c2hSlot(hdr);
    place.receiveInto(this.slots.data[slot]!, hdr.datao);
  }

  onPdu(hdr: PduHeader, data: Buffer | null): void {
    switch (hdr.type) {
      case PduType.CAPSULE_RESP:
        this.onCapsuleResp(hdr);
        break;
      case PduType.C2H_DATA:
        this.onC2HData(hdr, hdr.datal === 0 ? this.c2hSlot(hdr) : this.slots.find(hdr.cccid));
        break;
      case PduType.R2T:
        this.onR2T(hdr);
        break;
      case PduType.IC_RESP:
        this.onIcResp(hdr);
        break;
      case PduType.C2H_TERM_REQ:
        this.onTermReq(hdr, data);
        break;
    }
  }

  onDataDigestError(hdr: PduHeader, _err: DataDigestError): void {
    // Linux's host: the stream is intact, only this command's data is bad.
    const slot = this.slots.find(hdr.cccid);
    this.slots.status[slot] = DATA_TRANSFER_ERROR_STATUS;
    this.onC2HData(hdr, slot);
  }

  onError(err: ProtocolError): void {
    this.fail(err);
  }

  // ---- receive path ----

  private readonly onRead = (nread: number): boolean => {
    if (this.state === QpairState.READY || this.state === QpairState.CONNECTING) this.rx.push(this.recvBuffer.subarray(0, nread));
    return true;
  };

  private onIcResp(hdr: PduHeader): void {
    const ic = parseIcResp(hdr);
    checkIcResp(ic, { hdgst: this.opts.headerDigest, ddgst: this.opts.dataDigest });
    this.rx.setDigests(ic.hdgst, ic.ddgst);
    this.fmt = pduFormat(ic.hdgst, ic.ddgst, ic.cpda);
    this.headerDigest = ic.hdgst;
    this.dataDigest = ic.ddgst;
    this.maxH2CData = ic.maxh2cdata;
    clearTimeout(this.timer);
    this.state = QpairState.READY;
    const handshake = this.handshake!;
    this.handshake = null;
    handshake.resolve(this);
  }

  /** The slot of the read that C2HData `hdr` belongs to; the PDU must continue where the last one ended. */
  private c2hSlot(hdr: PduHeader): number {
    const cid = hdr.cccid;
    const slot = this.expectCommand(cid, CommandKind.READ, 'C2HData');
    const expected = this.slots.done[slot]!;
    if (hdr.datao !== expected) {
      throw new PduError(
        'datao',
        hdr.datao,
        `C2HData for cid ${cid} at offset ${expected} (data must arrive in order without gaps)`,
        Fes.INVALID_PDU_HEADER_FIELD,
        PduOffset.DATAO,
      );
    }
    return slot;
  }

  private onC2HData(hdr: PduHeader, slot: number): void {
    const slots = this.slots;
    const done = (slots.done[slot] += hdr.datal);
    if (!hdr.last) return;
    const length = slots.length(slot);
    if (done !== length) {
      throw new PduError(
        'flags',
        hdr.flags,
        `LAST_PDU on C2HData for cid ${hdr.cccid} after ${done} of its ${length} bytes`,
        Fes.INVALID_PDU_HEADER_FIELD,
        ChOffset.FLAGS,
      );
    }
    if (!hdr.success) return;
    const cid = hdr.cccid;
    const status = slots.status[slot]!;
    slots.close(slot);
    this.complete(cid, status);
  }

  private onCapsuleResp(hdr: PduHeader): void {
    const cqe = hdr.buffer;
    const at = PduOffset.CQE;
    const cid = cqe.readUInt16LE(at + CqeOffset.CID);
    const slots = this.slots;
    const slot = slots.find(cid);
    if (slot < 0) {
      throw new PduError(
        'cid',
        cid,
        `CapsuleResp for a command that is not outstanding on qid ${this.qid}`,
        Fes.INVALID_PDU_HEADER_FIELD,
        at + CqeOffset.CID,
      );
    }
    const success = isSuccess(cqe.readUInt16LE(at + CqeOffset.STATUS) >> 1);
    const length = slots.length(slot);
    if (success && slots.done[slot]! < length) {
      const what = slots.kind[slot] === CommandKind.READ ? 'received' : 'sent';
      throw new PduError(
        'cid',
        cid,
        `CapsuleResp reports success for a ${COMMAND_KIND_NAMES[slots.kind[slot]!]} with ${slots.done[slot]} of its ${length} data bytes ${what}`,
        Fes.PDU_SEQUENCE_ERROR,
        at + CqeOffset.CID,
      );
    }
    const status = slots.status[slot]!;
    slots.close(slot);
    if (status !== 0 && success) {
      cqe.copy(this.cqe, 0, at, at + CQE_SIZE);
      this.cqe.writeUInt16LE(status << 1, CqeOffset.STATUS);
      this.sink!.onCompletion(this.cqe, 0);
    } else {
      this.sink!.onCompletion(cqe, at);
    }
  }

  private onR2T(hdr: PduHeader): void {
    const cid = hdr.cccid;
    const slot = this.expectCommand(cid, CommandKind.WRITE, 'R2T');
    const r2to = hdr.r2to;
    const r2tl = hdr.r2tl;
    const sent = this.slots.done[slot]!;
    const length = this.slots.length(slot);
    if (r2to !== sent) {
      const detail = `${sent} for cid ${cid}: the first byte not yet sent (in-capsule data is never requested)`;
      throw new PduError('r2to', r2to, detail, Fes.INVALID_PDU_HEADER_FIELD, PduOffset.R2TO);
    }
    if (r2tl === 0 || r2to + r2tl > length) {
      const detail = `1 to ${length - r2to} for cid ${cid} (${length} data bytes, R2TO ${r2to})`;
      throw new PduError('r2tl', r2tl, detail, Fes.DATA_TRANSFER_OUT_OF_RANGE, PduOffset.R2TL);
    }
    this.sendH2CData(slot, cid, hdr.ttag, r2to, r2to + r2tl);
  }

  private onTermReq(hdr: PduHeader, offending: Buffer | null): void {
    const fes = hdr.fes;
    const fei = FES_WITH_FEI.has(fes) ? `, FEI ${hdr.fei}` : '';
    const quoted = offending !== null && offending.length > 0 ? `, quoting our ${pduTypeName(offending[0]!)}` : '';
    const detail = `C2HTermReq from the controller: ${FES_NAMES[fes] ?? 'reserved FES'}${fei}${quoted} (${this.where})`;
    this.fail(new ProtocolError('fes', fes, detail, fes));
  }

  /** The slot of outstanding command `cid`, which must be of `kind`; else a PduError naming CCCID. */
  private expectCommand(cid: number, kind: CommandKind, pdu: string): number {
    const slot = this.slots.find(cid);
    if (slot < 0) {
      throw new PduError('cccid', cid, `${pdu} for a command not outstanding on qid ${this.qid}`, Fes.INVALID_PDU_HEADER_FIELD, PduOffset.CCCID);
    }
    const actual = this.slots.kind[slot]!;
    if (actual !== kind) {
      const detail = `${pdu} for cid ${cid}, a ${COMMAND_KIND_NAMES[actual]} command (expected a ${COMMAND_KIND_NAMES[kind]})`;
      throw new PduError('cccid', cid, detail, Fes.INVALID_PDU_HEADER_FIELD, PduOffset.CCCID);
    }
    return slot;
  }

  /** A completion the controller implied (SUCCESS flag): CID, SQID and the status; the rest zero. */
  private complete(cid: number, status: number): void {
    const cqe = this.cqe;
    // Field by field: Buffer#fill on a few bytes costs more than these writes.
    cqe.writeUInt32LE(0, CqeOffset.CDW0);
    cqe.writeUInt32LE(0, CqeOffset.CDW1);
    cqe.writeUInt16LE(0, CqeOffset.SQHD);
    cqe.writeUInt16LE(this.qid, CqeOffset.SQID);
    cqe.writeUInt16LE(cid, CqeOffset.CID);
    cqe.writeUInt16LE(status << 1, CqeOffset.STATUS);
    this.sink!.onCompletion(cqe, 0);
  }

  // ---- send path ----

  private readonly onConnect = (): void => {
    const off = this.tx.reserve(IC_PDU_SIZE);
    this.tx.commit(encodeIcReq(this.tx.buffer, off, { hdgst: this.opts.headerDigest, ddgst: this.opts.dataDigest }));
    this.tx.flush();
  };

  /** H2CData for bytes [start, end) of the write in `slot`, in PDUs of at most MAXH2CDATA. */
  private sendH2CData(slot: number, cid: number, ttag: number, start: number, end: number): void {
    const data = this.slots.data[slot]!;
    const tx = this.tx;
    for (let datao = start; datao < end; ) {
      const datal = Math.min(this.maxH2CData, end - datao);
      const off = tx.reserve(HEADER_ROOM);
      tx.commit(encodeH2CData(tx.buffer, off, this.fmt, cid, ttag, datao, datal, datao + datal === end));
      this.queuePayload(data, datao, datao + datal);
      datao += datal;
    }
    this.slots.done[slot] = end;
    tx.schedule();
  }

  /** Data bytes [start, end) of `data` behind the header just queued, then the data digest. */
  private queuePayload(data: Buffer, start: number, end: number): void {
    const tx = this.tx;
    const n = end - start;
    if (n <= COPY_MAX) {
      const off = tx.reserve(n);
      data.copy(tx.buffer, off, start, end);
      tx.commit(n);
    } else {
      tx.appendBuffer(start === 0 && end === data.length ? data : data.subarray(start, end));
    }
    if (this.fmt.ddgst) {
      const off = tx.reserve(DIGEST_SIZE);
      tx.commit(encodeDataDigest(tx.buffer, off, data, start, end));
    }
  }

  // ---- failure and teardown ----

  private readonly onConnectTimeout = (): void => {
    const what = this.socket.connecting ? 'no TCP connection' : 'no ICResp';
    this.fail(new TransportError(`${this.where}: ${what} within ${this.opts.connectTimeoutMs} ms`, 'ETIMEDOUT'));
  };

  private readonly onSocketError = (err: NodeJS.ErrnoException): void => {
    if (this.state !== QpairState.CLOSING) this.fail(socketError(err, this.where));
  };

  private onSocketClose(): void {
    if (this.state === QpairState.CLOSING) {
      this.state = QpairState.CLOSED;
      return;
    }
    const when = this.state === QpairState.CONNECTING ? ' before ICResp' : this.rx.atPduBoundary ? '' : ' in the middle of a PDU';
    this.fail(new TransportError(`${this.where}: connection closed by the controller${when}`, 'ECONNRESET'));
  }

  /**
   * Ends the queue pair once: a PduError of ours is reported to the controller
   * with an H2CTermReq before the socket goes; then the connect promise
   * rejects or the driver hears `onFatal`.
   */
  private fail(err: Error): void {
    if (this.state === QpairState.CLOSED) return;
    this.state = QpairState.CLOSED;
    clearTimeout(this.timer);
    this.tx.discard();
    if (err instanceof PduError && this.socket.writable) {
      const pdu = Buffer.alloc(TERM_REQ_MAX_SIZE);
      const n = encodeTermReq(pdu, 0, PduType.H2C_TERM_REQ, err.fes, err.fei, this.rx.offendingHeader);
      this.socket.end(pdu.subarray(0, n));
      this.destroyLater();
    } else {
      this.socket.destroy();
    }
    // While connecting no driver listens: the connect promise rejects instead.
    this.reportFatal(err);
    const handshake = this.handshake;
    this.handshake = null;
    handshake?.reject(err);
  }

  private destroyLater(): void {
    this.timer = setTimeout(() => this.socket.destroy(), CLOSE_GRACE_MS);
    this.timer.unref();
  }
}
