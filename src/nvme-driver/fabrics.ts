/**
 * The host side of NVMe over Fabrics commands (SPDK's nvme_fabric.c): Connect
 * on a freshly opened transport queue pair, and Property Get/Set as the
 * controller's register access.
 */
import { ProtocolError } from '../spec/errors.js';
import {
  connectParameterAt,
  decodeConnectInvalidParameter,
  decodeConnectResponse,
  encodeConnectData,
  encodeConnectSqe,
  encodePropertyGetSqe,
  encodePropertySetSqe,
  FabricsCommandStatus,
  propertyValueFromCqe,
  type ConnectParameter,
  type ConnectResponse,
} from '../spec/fabrics.js';
import { SQE_SIZE } from '../spec/sqe.js';
import { FABRICS_OPCODE } from '../spec/opcodes.js';
import { NvmeStatusError, StatusCodeType } from '../spec/status.js';
import { registerName } from '../spec/registers.js';
import type { QueuePair } from './queue-pair.js';
import type { RegisterIo } from './register-io.js';

/** What Connect says about the host and the controller it wants. */
export interface ConnectParams {
  /** `CNTLID_DYNAMIC` for an admin queue; the controller's CNTLID for an I/O queue. */
  cntlid: number;
  /** Keep Alive Timeout in ms (admin queue; 0 = off). */
  kato: number;
  subnqn: string;
  hostnqn: string;
  /** Host identifier, a UUID string. */
  hostid: string;
}

/**
 * In-capsule data an I/O queue accepts, in bytes: IOCCSZ counts 16-byte units
 * of the whole capsule, the 64-byte SQE included. Undefined when the controller
 * does not report a usable IOCCSZ (fabrics controllers must report at least 4).
 */
export function inCapsuleDataSizeOf(ioccsz: number): number | undefined {
  return ioccsz >= 4 ? ioccsz * 16 - SQE_SIZE : undefined;
}

/**
 * Sends Fabrics Connect as the first command on `qp` (QID and SQSIZE come from
 * the queue pair) and returns the CNTLID the controller assigned.
 *
 * @throws ConnectRejectedError as the controller answered (CONNECT INVALID HOST,
 *   CONNECT INVALID PARAMETERS with the offending field named...)
 * @throws ProtocolError when the controller demands in-band authentication
 */
export function fabricConnect(qp: QueuePair, p: ConnectParams): Promise<ConnectResponse> {
  const sqe = encodeConnectSqe(Buffer.alloc(SQE_SIZE), { cid: 0, qid: qp.qid, sqsize: qp.qsize - 1, kato: p.kato });
  const data = encodeConnectData({ hostid: p.hostid, cntlid: p.cntlid, subnqn: p.subnqn, hostnqn: p.hostnqn });
  return new Promise((resolve, reject) => {
    qp.raw(sqe, data, (err, cdw0) => {
      if (err) {
        reject(err instanceof NvmeStatusError ? new ConnectRejectedError(err, qp.qid, p) : err);
        return;
      }
      const resp = decodeConnectResponse(cdw0);
      if (resp.authreq !== 0) {
        reject(new ProtocolError('authreq', resp.authreq, 'the controller requires in-band authentication, which nvmekit does not implement'));
        return;
      }
      resolve(resp);
    });
  });
}

/**
 * Fabrics Connect answered with an error status: the status, the queue and
 * NQNs asked for, and, for CONNECT INVALID PARAMETERS, the field the
 * controller named in dword 0 (IATTR and IPO).
 */
export class ConnectRejectedError extends NvmeStatusError {
  /** The queue the Connect was for (0: the admin queue). */
  readonly qid: number;
  readonly subnqn: string;
  readonly hostnqn: string;
  /** The field the controller rejected; undefined for other statuses or an offset that starts no field. */
  readonly invalidParameter: ConnectParameter | undefined;

  constructor(err: NvmeStatusError, qid: number, p: ConnectParams) {
    const invalid = err.sct === StatusCodeType.COMMAND_SPECIFIC && err.sc === FabricsCommandStatus.CONNECT_INVALID_PARAMETERS;
    const where = invalid ? decodeConnectInvalidParameter(err.cdw0 ?? 0) : undefined;
    const field = where && connectParameterAt(where);
    let what = `FABRIC CONNECT qid:${qid} cntlid:0x${p.cntlid.toString(16)} subnqn:${p.subnqn} hostnqn:${p.hostnqn}`;
    if (where) {
      what += ` (invalid parameter: ${field?.toUpperCase() ?? `byte ${where.offset}`} in the connect ${where.inData ? 'data' : 'command'})`;
    }
    super(err, what, FABRICS_OPCODE, err.cdw0);
    this.qid = qid;
    this.subnqn = p.subnqn;
    this.hostnqn = p.hostnqn;
    this.invalidParameter = field;
  }
}

/** Controller registers through Property Get/Set on the admin queue. */
export class PropertyRegisters implements RegisterIo {
  constructor(private readonly admin: QueuePair) {}

  async read32(offset: number): Promise<number> {
    return Number(await this.get(offset, 4));
  }

  read64(offset: number): Promise<bigint> {
    return this.get(offset, 8);
  }

  write32(offset: number, value: number): Promise<void> {
    return this.set(offset, 4, BigInt(value >>> 0));
  }

  write64(offset: number, value: bigint): Promise<void> {
    return this.set(offset, 8, value);
  }

  private async get(offset: number, size: 4 | 8): Promise<bigint> {
    const sqe = encodePropertyGetSqe(Buffer.alloc(SQE_SIZE), { cid: 0, offset, size });
    const { cdw0, cdw1 } = await this.admin.rawAsync(sqe).catch(this.named('Property Get', offset));
    return propertyValueFromCqe(cdw0, cdw1, size);
  }

  private async set(offset: number, size: 4 | 8, value: bigint): Promise<void> {
    const sqe = encodePropertySetSqe(Buffer.alloc(SQE_SIZE), { cid: 0, offset, size, value });
    await this.admin.rawAsync(sqe).catch(this.named('Property Set', offset));
  }

  /** Adds the register's name to a status error, which otherwise shows only the opcode. */
  private named(op: string, offset: number): (err: unknown) => never {
    return (err) => {
      if (err instanceof NvmeStatusError) throw new NvmeStatusError(err, `${op} ${registerName(offset)}`, FABRICS_OPCODE, err.cdw0);
      throw err;
    };
  }
}
