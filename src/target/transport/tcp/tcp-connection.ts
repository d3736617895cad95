/**
 * One NVMe/TCP connection of the target (Linux nvmet `nvmet_tcp_queue`, SPDK
 * `spdk_nvmf_tcp_qpair`): ICReq/ICResp, then command capsules handed to the
 * core's queue pair, in-capsule write data as a view of the buffer it was
 * read into, R2T/H2CData write data gathered straight into pooled buffers,
 * read data sent as C2HData, completions as CapsuleResp (or the C2HData
 * SUCCESS flag).
 *
 * A peer cannot make it throw: a broken PDU gets a C2HTermReq naming the
 * fault and closes this connection only; a data digest error fails just its
 * command with TRANSIENT TRANSPORT ERROR (SPDK's choice; Linux nvmet drops the
 * connection). Whatever ends the connection, the core's queue pair is closed
 * exactly once, when the socket is gone.
 */
import type { Socket } from 'node:net';
import { ProtocolError } from '../../../spec/errors.js';
import { CqeOffset, cqeStatusField } from '../../../spec/cqe.js';
import { FabricsCommandType, FabricsSqeOffset } from '../../../spec/fabrics.js';
import { FABRICS_OPCODE } from '../../../spec/opcodes.js';
import { SqeOffset } from '../../../spec/sqe.js';
import {
  FES_NAMES,
  Fes,
  PduError,
  PduOffset,
  PduReceiver,
  PduType,
  checkIcReq,
  parseIcReq,
  pduFormat,
  type DataDigestError,
  type DataPlacement,
  type PduHandler,
  type PduHeader,
} from '../../../spec/tcp/index.js';
import type { LogLevel } from '../../target-context.js';
import type { CommandFailure, TargetConnectionInfo, TargetCore, TargetQueuePair } from '../transport.js';
import { TransportStatus } from '../command-data.js';
import { DataPath, describeCommandData, type CommandDataLimits } from './command-data.js';
import type { DataBufferPool } from './data-buffer-pool.js';
import type { TcpTransportOptions } from './options.js';
import { PduSender } from './pdu-sender.js';
import { withReadBuffer } from './read-buffer-socket.js';
import { ReadBuffers } from './read-buffers.js';
import { CommandState, TcpCommand } from './tcp-command.js';

/** In-capsule data the admin queue (and a Connect) may carry: 8 KiB, as Linux `NVME_TCP_ADMIN_CCSZ` and SPDK. */
export const ADMIN_IN_CAPSULE_DATA_SIZE = 8192;
/** Read data is sent in C2HData PDUs of at most this many bytes. */
const C2H_DATA_PDU_MAX = 128 * 1024;
/** How long a closing connection waits for the peer to close its side before the socket is destroyed. */
const CLOSE_LINGER_MS = 1000;
/** The buffer every socket read lands in: the host side reads with the same size. */
const READ_BUFFER_SIZE = 128 * 1024;

/** What a connection gets from its listener. */
export interface ConnectionContext {
  readonly core: TargetCore;
  readonly options: TcpTransportOptions;
  readonly pool: DataBufferPool;
  log(level: LogLevel, msg: string): void;
}

const ConnState = {
  /** Waiting for ICReq. */
  INITIALIZING: 0,
  RUNNING: 1,
  /** Responses flushed, FIN sent, waiting for the socket to close. */
  CLOSING: 2,
  CLOSED: 3,
} as const;
type ConnState = (typeof ConnState)[keyof typeof ConnState];

export class TcpConnection implements PduHandler {
  /** Resolves once the socket is closed and the queue pair released. */
  readonly closed: Promise<void>;
  private resolveClosed!: () => void;
  private state: ConnState = ConnState.INITIALIZING;
  private readonly rx: PduReceiver;
  private readonly tx: PduSender;
  private qp: TargetQueuePair | null = null;
  private readonly slots: TcpCommand[] = [];
  private readonly freeSlots: TcpCommand[] = [];
  private readonly capacity: number;
  private readonly limits: CommandDataLimits;
  /** The CapsuleCmd whose in-capsule data is arriving. */
  private capsuleCommand: TcpCommand | null = null;
  /** The command of the H2CData PDU whose data is arriving. */
  private h2cCommand: TcpCommand | null = null;
  /** Queue ID from a successful Connect; -1 before. */
  private qid = -1;
  private lingerTimer: NodeJS.Timeout | null = null;
  private closeReason = 'connection closed by the host';
  private readonly socket: Socket;
  /** What the socket reads into; in-capsule data pins the buffer it arrived in. */
  private readonly reads = new ReadBuffers(READ_BUFFER_SIZE);
  private readonly onCommandDone = (cmd: TcpCommand, cqe: Buffer, data: Buffer | null): void =>
    this.commandDone(cmd, cqe, data);

  /**
   * @param accepted a socket accepted with `pauseOnConnect`; its connection
   *   moves into a socket reading into this connection's own buffer
   * @throws TransportError when `accepted` is already closed
   */
  constructor(
    accepted: Socket,
    private readonly ctx: ConnectionContext,
    readonly info: TargetConnectionInfo,
  ) {
    const socket = withReadBuffer(accepted, this.reads.next, this.onRead);
    this.socket = socket;
    const opts = ctx.options;
    this.capacity = Math.max(opts.maxQueueDepth, opts.maxAqDepth);
    this.limits = {
      inCapsuleDataSize: Math.max(opts.inCapsuleDataSize, ADMIN_IN_CAPSULE_DATA_SIZE),
      maxIoSize: opts.maxIoSize,
    };
    this.rx = new PduReceiver({
      role: 'controller',
      maxDataLength: Math.max(this.limits.inCapsuleDataSize, opts.maxH2CDataSize),
      handler: this,
    });
    this.tx = new PduSender(socket);
    this.closed = new Promise((resolve) => (this.resolveClosed = resolve));
    socket.setNoDelay(true);
    socket.on('error', (err) => this.log('debug', `socket error: ${err.message}`));
    socket.on('close', () => this.finish());
  }

  /** `peer -> local`, for log lines. */
  get name(): string {
    return `${this.info.peerAddress}:${this.info.peerPort} -> ${this.info.traddr}:${this.info.trsvcid}`;
  }

  /**
   * Sends what is queued, half-closes the socket and destroys it if the peer
   * has not closed its side within a second. Idempotent.
   */
  close(reason: string): Promise<void> {
    if (this.state >= ConnState.CLOSING) return this.closed;
    this.state = ConnState.CLOSING;
    this.closeReason = reason;
    this.tx.flush();
    this.socket.end();
    this.lingerTimer = setTimeout(() => this.socket.destroy(), CLOSE_LINGER_MS);
    this.lingerTimer.unref();
    return this.closed;
  }

  onDataPdu(hdr: PduHeader, place: DataPlacement): void {
    if (this.state !== ConnState.RUNNING) return;
    if (hdr.type === PduType.CAPSULE_CMD) {
      const cmd = this.beginCommand(hdr.sqe);
      this.capsuleCommand = cmd;
      if (cmd.failure !== null) return;
      if (cmd.path !== DataPath.IN_CAPSULE || hdr.dataLength !== cmd.length) {
        // The capsule carries data its SGL does not describe: drop the data, fail the command.
        cmd.failure = TransportStatus.DATA_SGL_LENGTH_INVALID;
      }
      // Not placed: the data comes to onPdu as a view of the read buffer, copied by nobody.
      return;
    }
    const cmd = this.h2cCommandOf(hdr);
    this.h2cCommand = cmd;
    place.receiveInto(cmd.buffer!.viewOf(cmd.length), hdr.datao);
  }

  onPdu(hdr: PduHeader, data: Buffer | null): void {
    if (this.state >= ConnState.CLOSING) return;
    switch (hdr.type) {
      case PduType.IC_REQ:
        this.icReq(hdr);
        return;
      case PduType.CAPSULE_CMD: {
        const cmd = this.capsuleCommand ?? this.beginCommand(hdr.sqe);
        this.capsuleCommand = null;
        if (cmd.path === DataPath.IN_CAPSULE && cmd.failure === null) {
          if (data === null) cmd.failure = TransportStatus.DATA_SGL_LENGTH_INVALID;
          else cmd.pinned = this.reads.pinIfView(data);
        }
        this.startCommand(cmd, data);
        return;
      }
      case PduType.H2C_DATA: {
        const cmd = this.h2cCommand ?? this.h2cCommandOf(hdr);
        this.h2cCommand = null;
        this.h2cDataReceived(cmd, hdr.datal);
        return;
      }
      case PduType.H2C_TERM_REQ: {
        const fes = hdr.fes;
        const quoted = data === null ? 0 : data.length;
        this.log('warn', `host sent H2CTermReq: FES ${fes} (${FES_NAMES[fes] ?? 'reserved'}), FEI ${hdr.fei}, ${quoted} header bytes quoted`);
        this.close(`host terminated the connection (FES ${fes})`);
        return;
      }
    }
  }

  onDataDigestError(hdr: PduHeader, err: DataDigestError): void {
    if (this.state !== ConnState.RUNNING) return;
    if (hdr.type === PduType.CAPSULE_CMD) {
      const cmd = this.capsuleCommand!;
      this.capsuleCommand = null;
      this.log('warn', `cid ${cmd.cid}: in-capsule data digest error (${err.message})`);
      this.fail(cmd, TransportStatus.TRANSIENT_TRANSPORT_ERROR);
      return;
    }
    const cmd = this.h2cCommand!;
    this.h2cCommand = null;
    this.log('warn', `cid ${cmd.cid}: H2CData at offset ${hdr.datao} data digest error (${err.message})`);
    cmd.digestError = true;
    this.h2cDataReceived(cmd, hdr.datal);
  }

  onError(err: ProtocolError): void {
    if (this.state >= ConnState.CLOSING) return;
    this.log('warn', `protocol error: ${err.message}`);
    if (err instanceof PduError) this.tx.termReq(err.fes, err.fei, this.rx.offendingHeader);
    this.close(`protocol error: ${err.message}`);
  }

  private readonly onRead = (nread: number): boolean => {
    if (this.state >= ConnState.CLOSING) return true;
    try {
      this.rx.push(this.reads.current.bytes, nread);
    } catch (err) {
      // A bug, not the peer's doing: keep the process and the other connections alive.
      this.log('error', `internal error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
      this.close('internal error');
    }
    return true;
  };

  private icReq(hdr: PduHeader): void {
    const ic = parseIcReq(hdr);
    checkIcReq(ic);
    this.rx.setDigests(ic.hdgst, ic.ddgst);
    this.tx.format = pduFormat(ic.hdgst, ic.ddgst, ic.hpda);
    this.tx.icResp({ cpda: 0, hdgst: ic.hdgst, ddgst: ic.ddgst, maxh2cdata: this.ctx.options.maxH2CDataSize });
    const qp = this.ctx.core.createQueuePair(this.info);
    qp.onTerminate = (reason) => {
      this.close(`terminated by the target: ${reason}`);
    };
    this.qp = qp;
    this.state = ConnState.RUNNING;
    this.log('debug', `ICReq: HPDA ${ic.hpda}, MAXR2T ${ic.maxr2t}, header digest ${ic.hdgst ? 'on' : 'off'}, data digest ${ic.ddgst ? 'on' : 'off'}`);
  }

  /** Takes a slot for a new command and reads what data it moves. */
  private beginCommand(sqe: Buffer): TcpCommand {
    const cmd = this.freeSlots.pop() ?? this.newSlot();
    sqe.copy(cmd.sqe);
    cmd.cid = cmd.sqe.readUInt16LE(SqeOffset.CID);
    cmd.state = CommandState.CAPSULE;
    cmd.received = 0;
    cmd.digestError = false;
    describeCommandData(cmd.sqe, this.limits, cmd);
    return cmd;
  }

  private newSlot(): TcpCommand {
    if (this.slots.length >= this.capacity) {
      // No FES describes a host overrunning its queue; Linux and SPDK drop the connection too.
      throw new ProtocolError('sqsize', this.slots.length + 1, `at most ${this.capacity} commands outstanding`);
    }
    const cmd = new TcpCommand(this.slots.length, this.onCommandDone);
    this.slots.push(cmd);
    return cmd;
  }

  /** @param inCapsule the capsule's data (checked against the SGL), or null */
  private startCommand(cmd: TcpCommand, inCapsule: Buffer | null): void {
    if (cmd.failure !== null) {
      this.fail(cmd, cmd.failure);
      return;
    }
    switch (cmd.path) {
      case DataPath.IN_CAPSULE:
        this.execute(cmd, inCapsule);
        return;
      case DataPath.R2T:
        cmd.buffer = this.ctx.pool.acquire(cmd.length);
        this.requestData(cmd);
        return;
      default:
        this.execute(cmd, null);
    }
  }

  /** Sends the R2T for the next piece of write data, at most MAXH2CDATA (one R2T outstanding per command). */
  private requestData(cmd: TcpCommand): void {
    const r2tl = Math.min(cmd.length - cmd.received, this.ctx.options.maxH2CDataSize);
    cmd.r2tEnd = cmd.received + r2tl;
    cmd.state = CommandState.AWAITING_H2C;
    this.tx.r2t(cmd.cid, cmd.ttag, cmd.received, r2tl);
  }

  /** The command an H2CData PDU feeds, checked as SPDK `nvmf_tcp_h2c_data_hdr_handle` does. */
  private h2cCommandOf(hdr: PduHeader): TcpCommand {
    const ttag = hdr.ttag;
    const cmd = this.slots[ttag];
    if (cmd === undefined || cmd.state !== CommandState.AWAITING_H2C) {
      throw new PduError('ttag', ttag, 'the TTAG of an outstanding R2T', Fes.PDU_SEQUENCE_ERROR, PduOffset.TTAG);
    }
    if (hdr.cccid !== cmd.cid) {
      const detail = `${cmd.cid}, the CID of the command R2T ${ttag} belongs to`;
      throw new PduError('cccid', hdr.cccid, detail, Fes.INVALID_PDU_HEADER_FIELD, PduOffset.CCCID);
    }
    const maxh2cdata = this.ctx.options.maxH2CDataSize;
    if (hdr.datal > maxh2cdata) {
      const detail = `at most ${maxh2cdata} (MAXH2CDATA)`;
      throw new PduError('datal', hdr.datal, detail, Fes.DATA_TRANSFER_LIMIT_EXCEEDED, PduOffset.DATAL);
    }
    if (hdr.datao !== cmd.received) {
      const detail = `${cmd.received}, the next byte the R2T asked for`;
      throw new PduError('datao', hdr.datao, detail, Fes.DATA_TRANSFER_OUT_OF_RANGE, PduOffset.DATAO);
    }
    if (hdr.datao + hdr.datal > cmd.r2tEnd) {
      const detail = `at most ${cmd.r2tEnd - hdr.datao} (R2TO + R2TL - DATAO)`;
      throw new PduError('datal', hdr.datal, detail, Fes.DATA_TRANSFER_OUT_OF_RANGE, PduOffset.DATAL);
    }
    return cmd;
  }

  private h2cDataReceived(cmd: TcpCommand, datal: number): void {
    cmd.received += datal;
    if (cmd.received < cmd.r2tEnd) return;
    if (cmd.digestError) this.fail(cmd, TransportStatus.TRANSIENT_TRANSPORT_ERROR);
    else if (cmd.received === cmd.length) this.execute(cmd, cmd.buffer!.viewOf(cmd.length));
    else this.requestData(cmd);
  }

  private execute(cmd: TcpCommand, data: Buffer | null): void {
    cmd.state = CommandState.EXECUTING;
    this.qp!.execute(cmd.sqe, data, cmd.done);
  }

  private commandDone(cmd: TcpCommand, cqe: Buffer, data: Buffer | null): void {
    if (cmd.state !== CommandState.EXECUTING) {
      this.log('error', `cid ${cmd.cid}: the core completed a command that is not executing`);
      return;
    }
    if (this.state === ConnState.CLOSED) {
      this.releaseCommand(cmd);
      return;
    }
    const status = cqeStatusField(cqe);
    if (status === 0 && this.qid < 0) this.noteConnect(cmd.sqe);
    const bytes = cmd.path === DataPath.C2H && data !== null && status === 0 ? Math.min(data.length, cmd.length) : 0;
    if (bytes > 0) {
      const success =
        this.ctx.options.c2hSuccess && cqe.readUInt32LE(CqeOffset.CDW0) === 0 && cqe.readUInt32LE(CqeOffset.CDW1) === 0;
      this.sendData(cmd.cid, data!, bytes, success);
      if (!success) this.tx.capsuleResp(cqe);
    } else {
      this.tx.capsuleResp(cqe);
    }
    this.releaseCommand(cmd);
  }

  private sendData(cid: number, data: Buffer, bytes: number, success: boolean): void {
    for (let off = 0; off < bytes; off += C2H_DATA_PDU_MAX) {
      const end = Math.min(off + C2H_DATA_PDU_MAX, bytes);
      const last = end === bytes;
      this.tx.c2hData(cid, data, off, end, off, last, last && success);
    }
  }

  /** After the first successful Connect: the queue ID, and the in-capsule limit of an I/O queue. */
  private noteConnect(sqe: Buffer): void {
    if (sqe[SqeOffset.OPC] !== FABRICS_OPCODE || sqe[FabricsSqeOffset.FCTYPE] !== FabricsCommandType.CONNECT) return;
    this.qid = sqe.readUInt16LE(FabricsSqeOffset.QID);
    if (this.qid !== 0) this.limits.inCapsuleDataSize = this.ctx.options.inCapsuleDataSize;
  }

  /**
   * Fails a command without executing it (bad SGL, data digest error): the
   * core completes it as a failed command, and `commandDone` sends the
   * CapsuleResp.
   */
  private fail(cmd: TcpCommand, failure: CommandFailure): void {
    this.log('debug', `cid ${cmd.cid} opc 0x${cmd.sqe[SqeOffset.OPC]!.toString(16)}: failed by the transport, status ${failure.sct}/0x${failure.sc.toString(16)}`);
    cmd.state = CommandState.EXECUTING;
    this.qp!.fail(cmd.sqe, failure, cmd.done);
  }

  private releaseCommand(cmd: TcpCommand): void {
    if (cmd.buffer !== null) {
      this.ctx.pool.release(cmd.buffer);
      cmd.buffer = null;
    }
    if (cmd.pinned !== null) {
      this.reads.unpin(cmd.pinned);
      cmd.pinned = null;
    }
    cmd.state = CommandState.FREE;
    this.freeSlots.push(cmd);
  }

  /** The socket is gone: release the queue pair and the buffers of commands the core does not hold. */
  private finish(): void {
    if (this.state === ConnState.CLOSED) return;
    this.state = ConnState.CLOSED;
    if (this.lingerTimer !== null) clearTimeout(this.lingerTimer);
    for (const cmd of this.slots) {
      if (cmd.state === CommandState.CAPSULE || cmd.state === CommandState.AWAITING_H2C) this.releaseCommand(cmd);
    }
    this.log('info', `closed: ${this.closeReason}`);
    if (this.qp !== null) {
      try {
        this.qp.close(this.closeReason);
      } catch (err) {
        this.log('error', `queue pair close threw: ${err instanceof Error ? err.message : String(err)}`);
      }
    }
    this.resolveClosed();
  }

  private log(level: LogLevel, msg: string): void {
    this.ctx.log(level, `tcp ${this.name}${this.qid >= 0 ? ` qid ${this.qid}` : ''}: ${msg}`);
  }
}
