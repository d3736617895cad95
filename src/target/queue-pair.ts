/**
 * One target queue pair (Linux `nvmet_sq`/`nvmet_cq`, SPDK `spdk_nvmf_qpair`):
 * the object a transport feeds commands to. It enforces "Connect first",
 * routes each command to the Fabrics, admin or I/O handlers, and writes the
 * CQE: CID echoed, SQID, SQHD advanced per command, status.
 *
 * Nothing a host sends may throw out of `execute`: an exception becomes
 * INTERNAL DEVICE ERROR for that command and a log line. A command the
 * transport fails itself (`fail`) is completed and accounted for the same way
 * as one the core failed.
 */
import { FABRICS_OPCODE } from '../spec/opcodes.js';
import { SqeOffset } from '../spec/sqe.js';
import { CQE_SIZE, CqeOffset, packStatus } from '../spec/cqe.js';
import { discTrTypeCode } from '../spec/discovery-log.js';
import { executeAdminCommand } from './admin-commands.js';
import { Status } from './command-status.js';
import type { Controller } from './controller.js';
import { executeFabricsCommand } from './fabrics-commands.js';
import { executeIoCommand } from './io-commands.js';
import { TargetRequest, type RequestOwner } from './request.js';
import type { LogLevel, TargetContext } from './target-context.js';
import type { CommandFailure, TargetCompletion, TargetConnectionInfo, TargetQueuePair } from './transport/transport.js';

type QueuePairState = 'awaiting-connect' | 'connected' | 'terminated' | 'closed';

export class NvmfQueuePair implements TargetQueuePair, RequestOwner {
  onTerminate: (reason: string) => void = () => {};
  /** Queue ID from Connect; -1 until then. */
  qid = -1;
  /** Entries in the submission queue (Connect SQSIZE + 1); 0 until connected. */
  sqSize = 0;
  /** The host asked for SQ flow control off (Connect CATTR): SQHD is not reported. */
  sqFlowControlDisabled = false;
  /** The controller this queue belongs to; null before Connect and after teardown. */
  controller: Controller | null = null;
  private state: QueuePairState = 'awaiting-connect';
  private sqhd = 0;
  private readonly cqe = Buffer.alloc(CQE_SIZE);
  private readonly free: TargetRequest[] = [];
  private readonly trtypeCode: number;

  constructor(
    readonly target: TargetContext,
    readonly info: TargetConnectionInfo,
  ) {
    this.trtypeCode = discTrTypeCode(info.trtype);
  }

  /** True until Connect has succeeded on this queue. */
  get awaitingConnect(): boolean {
    return this.state === 'awaiting-connect';
  }

  execute(sqe: Buffer, data: Buffer | null, done: TargetCompletion): void {
    const req = this.begin(sqe, done);
    const generation = req.generation;
    try {
      this.dispatch(req, sqe, data);
    } catch (err) {
      if (req.generation === generation && req.done !== null) this.internalError(req, err);
      else this.log('error', `exception after completing cid ${req.cid}: ${errorText(err)}`);
    }
  }

  fail(sqe: Buffer, status: CommandFailure, done: TargetCompletion): void {
    this.begin(sqe, done).complete(packStatus(status));
  }

  close(reason: string): void {
    if (this.state === 'closed') return;
    this.state = 'closed';
    const ctrl = this.controller;
    this.controller = null;
    this.log('debug', `closed: ${reason}`);
    ctrl?.queueClosed(this, reason);
  }

  /** Marks the queue connected (Fabrics Connect succeeded). */
  connected(ctrl: Controller, qid: number, sqSize: number, sqFlowControlDisabled: boolean): void {
    this.state = 'connected';
    this.controller = ctrl;
    this.qid = qid;
    this.sqSize = sqSize;
    this.sqFlowControlDisabled = sqFlowControlDisabled;
  }

  /** Leaves the controller (ending the association if this is its admin queue) and asks the transport to drop the connection. */
  terminate(reason: string): void {
    if (this.state === 'closed' || this.state === 'terminated') return;
    this.state = 'terminated';
    const ctrl = this.controller;
    this.controller = null;
    ctrl?.queueClosed(this, reason);
    this.log('info', `terminating: ${reason}`);
    try {
      this.onTerminate(reason);
    } catch (err) {
      this.log('error', `onTerminate threw: ${errorText(err)}`);
    }
  }

  complete(req: TargetRequest, status: number, cdw0 = 0, data: Buffer | null = null, cdw1 = 0): void {
    const done = req.done;
    if (done === null) return;
    const cid = req.cid;
    if (status !== Status.SUCCESS) this.recordError(req, status);
    req.reset();
    this.free.push(req);
    // Even after close() the transport hears of every command once: it may hold buffers for it.
    if (!this.sqFlowControlDisabled && this.sqSize > 0) this.sqhd = (this.sqhd + 1) % this.sqSize;
    const cqe = this.cqe;
    cqe.writeUInt32LE(cdw0 >>> 0, CqeOffset.CDW0);
    cqe.writeUInt32LE(cdw1 >>> 0, CqeOffset.CDW1);
    cqe.writeUInt16LE(this.sqhd, CqeOffset.SQHD);
    cqe.writeUInt16LE(this.qid < 0 ? 0 : this.qid, CqeOffset.SQID);
    cqe.writeUInt16LE(cid, CqeOffset.CID);
    cqe.writeUInt16LE(status << 1, CqeOffset.STATUS);
    done(cqe, data);
  }

  internalError(req: TargetRequest, err: unknown): void {
    this.log('error', `cid ${req.cid} opc 0x${req.opc.toString(16)} failed: ${errorText(err)}`);
    this.complete(req, Status.INTERNAL_ERROR);
  }

  log(level: LogLevel, msg: string): void {
    this.target.log(level, `${this.describe()}: ${msg}`);
  }

  /** A pooled request for the command in `sqe`; the command counts as traffic for the keep alive timer. */
  private begin(sqe: Buffer, done: TargetCompletion): TargetRequest {
    const req = this.free.pop() ?? new TargetRequest(this);
    req.generation++;
    req.done = done;
    req.opc = sqe[SqeOffset.OPC]!;
    req.cid = sqe.readUInt16LE(SqeOffset.CID);
    req.nsid = sqe.readUInt32LE(SqeOffset.NSID);
    req.lba = 0;
    const ctrl = this.controller;
    if (ctrl !== null) ctrl.keepAlive.commandSeen = true;
    return req;
  }

  private dispatch(req: TargetRequest, sqe: Buffer, data: Buffer | null): void {
    const ctrl = this.controller;
    if (req.opc === FABRICS_OPCODE) {
      executeFabricsCommand(this, req, sqe, data);
      return;
    }
    if (ctrl === null) {
      // Before Connect, or after the controller dropped this queue (reset, shutdown, teardown).
      req.complete(Status.COMMAND_SEQUENCE_ERROR);
      return;
    }
    if (this.qid === 0) executeAdminCommand(ctrl, req, sqe, data);
    else executeIoCommand(ctrl, req, sqe, data);
  }

  private recordError(req: TargetRequest, status: number): void {
    const ctrl = this.controller;
    this.log('debug', `cid ${req.cid} opc 0x${req.opc.toString(16)} status 0x${status.toString(16)}`);
    if (ctrl === null) return;
    ctrl.stats.errors++;
    ctrl.errorLog.record({
      sqid: this.qid,
      cid: req.cid,
      status,
      opc: req.opc,
      nsid: req.nsid,
      lba: req.lba,
      trtype: this.trtypeCode,
    });
  }

  private describe(): string {
    const who = `${this.info.peerAddress}:${this.info.peerPort}`;
    return this.qid < 0 ? `qpair from ${who}` : `qpair ${this.qid} from ${who}`;
  }
}

function errorText(err: unknown): string {
  return err instanceof Error ? (err.stack ?? err.message) : String(err);
}
