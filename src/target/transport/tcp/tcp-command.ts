/**
 * One command slot of a connection (Linux `nvmet_tcp_cmd`, SPDK
 * `spdk_nvmf_tcp_req`): the SQE, how its data travels, where its write data
 * is (a read buffer or a pooled buffer), and R2T progress. Slots are reused; a slot's index
 * is the TTAG of the R2Ts it sends, so an H2CData finds its command with one
 * array lookup.
 */
import { SQE_SIZE } from '../../../spec/sqe.js';
import type { CommandFailure, TargetCompletion } from '../transport.js';
import { DataPath, type CommandData } from './command-data.js';
import type { DataBuffer } from './data-buffer-pool.js';
import type { ReadBuffer } from './read-buffers.js';

export const CommandState = {
  FREE: 0,
  /** The CapsuleCmd (and its in-capsule data) is being received. */
  CAPSULE: 1,
  /** An R2T is outstanding; H2CData PDUs fill `buffer`. */
  AWAITING_H2C: 2,
  /** Handed to the core; waiting for `done`. */
  EXECUTING: 3,
} as const;
export type CommandState = (typeof CommandState)[keyof typeof CommandState];

export class TcpCommand implements CommandData {
  /** A private copy: the receiver's SQE view is overwritten by the next PDU. */
  readonly sqe = Buffer.alloc(SQE_SIZE);
  cid = 0;
  state: CommandState = CommandState.FREE;
  path: DataPath = DataPath.NONE;
  length = 0;
  failure: CommandFailure | null = null;
  /** R2T write data, gathered into a buffer from the pool; null otherwise. */
  buffer: DataBuffer | null = null;
  /** The read buffer this command's in-capsule data is a view of, pinned until the command is released; or null. */
  pinned: ReadBuffer | null = null;
  /** Bytes of write data received so far (the next DATAO expected). */
  received = 0;
  /** End of the data the outstanding R2T asked for (R2TO + R2TL). */
  r2tEnd = 0;
  /** An H2CData PDU of this command failed its data digest: fail the command once the R2T's data is in. */
  digestError = false;
  /** Passed to the core's `execute`; bound once per slot. */
  readonly done: TargetCompletion;

  /**
   * @param ttag this slot's index, used as the Transfer Tag of its R2Ts
   * @param onDone receives the core's completion for this slot
   */
  constructor(
    readonly ttag: number,
    onDone: (cmd: TcpCommand, cqe: Buffer, data: Buffer | null) => void,
  ) {
    this.done = (cqe, data) => onDone(this, cqe, data);
  }
}
