/**
 * Fabrics commands (opcode 7Fh): Connect, Property Get/Set and Disconnect
 * (Linux nvmet `fabrics-cmd.c`, SPDK `nvmf_ctrlr_cmd_connect`).
 *
 * An admin-queue Connect with CNTLID FFFFh creates a controller (dynamic
 * model); an I/O-queue Connect joins the controller its CNTLID names, if the
 * host NQN matches and the QID is within the queues granted. A rejected
 * Connect says which field was wrong in dword 0 (IATTR and IPO).
 */
import { ProtocolError } from '../spec/errors.js';
import {
  CNTLID_DYNAMIC,
  CONNECT_DATA_SIZE,
  CONNECT_RECFMT,
  ConnectAttribute,
  ConnectDataOffset,
  connectInvalidParameterCdw0,
  decodeConnectData,
  decodeFabricsSqe,
  encodeConnectResponse,
  FabricsCommandType,
  FabricsSqeOffset,
  propertyValueToCqe,
  type ConnectCommand,
  type FabricsCommand,
} from '../spec/fabrics.js';
import { Status } from './command-status.js';
import { Controller } from './controller.js';
import { getProperty, setProperty } from './properties.js';
import type { NvmfQueuePair } from './queue-pair.js';
import type { TargetRequest } from './request.js';

/** Connect data fields a ProtocolError from `decodeConnectData` may name, and where they are. */
const CONNECT_DATA_FIELD_OFFSET: Readonly<Record<string, number>> = {
  subnqn: ConnectDataOffset.SUBNQN,
  hostnqn: ConnectDataOffset.HOSTNQN,
};

export function executeFabricsCommand(qp: NvmfQueuePair, req: TargetRequest, sqe: Buffer, data: Buffer | null): void {
  let cmd: FabricsCommand;
  try {
    cmd = decodeFabricsSqe(sqe);
  } catch (err) {
    if (!(err instanceof ProtocolError)) throw err;
    // An unknown FCTYPE is an unsupported command; a bad property size a bad field.
    req.complete(err.field === 'attrib' ? Status.INVALID_FIELD : Status.INVALID_OPCODE);
    return;
  }
  if (cmd.fctype === FabricsCommandType.CONNECT) {
    if (!qp.awaitingConnect) {
      qp.target.log('warn', `Connect on an already connected queue (qid ${qp.qid})`);
      req.complete(Status.COMMAND_SEQUENCE_ERROR);
      return;
    }
    connect(qp, req, cmd, data);
    return;
  }
  const ctrl = qp.controller;
  if (ctrl === null) {
    req.complete(Status.COMMAND_SEQUENCE_ERROR);
    return;
  }
  switch (cmd.fctype) {
    case FabricsCommandType.PROPERTY_GET: {
      if (qp.qid !== 0) break;
      const { status, value } = getProperty(ctrl, cmd.offset, cmd.size);
      const { cdw0, cdw1 } = propertyValueToCqe(value);
      req.complete(status, cdw0, null, cdw1);
      return;
    }
    case FabricsCommandType.PROPERTY_SET:
      if (qp.qid !== 0) break;
      req.complete(setProperty(ctrl, cmd.offset, cmd.size, cmd.value));
      return;
    case FabricsCommandType.DISCONNECT:
      if (qp.qid === 0) {
        req.complete(Status.INVALID_QUEUE_TYPE);
        return;
      }
      req.complete(Status.SUCCESS);
      qp.terminate('Disconnect');
      return;
  }
  // Property Get/Set on an I/O queue, authentication: not supported here.
  req.complete(Status.INVALID_OPCODE);
}

function rejectParameter(req: TargetRequest, inData: boolean, offset: number): void {
  req.complete(Status.CONNECT_INVALID_PARAMETERS, connectInvalidParameterCdw0(inData, offset));
}

function connect(qp: NvmfQueuePair, req: TargetRequest, cmd: ConnectCommand, data: Buffer | null): void {
  const target = qp.target;
  if (cmd.recfmt !== CONNECT_RECFMT) {
    req.complete(Status.CONNECT_INCOMPATIBLE_FORMAT);
    return;
  }
  if (data === null || data.length !== CONNECT_DATA_SIZE) {
    req.complete(Status.DATA_SGL_LENGTH_INVALID);
    return;
  }
  let d: ReturnType<typeof decodeConnectData>;
  try {
    d = decodeConnectData(data);
  } catch (err) {
    const at = err instanceof ProtocolError ? CONNECT_DATA_FIELD_OFFSET[err.field] : undefined;
    if (at === undefined) throw err;
    rejectParameter(req, true, at);
    return;
  }
  const subsystem = target.findSubsystem(d.subnqn, qp.info);
  if (!subsystem) {
    target.log('warn', `Connect from ${d.hostnqn}: no subsystem ${d.subnqn} on ${qp.info.traddr}:${qp.info.trsvcid}`);
    rejectParameter(req, true, ConnectDataOffset.SUBNQN);
    return;
  }
  if (!subsystem.isHostAllowed(d.hostnqn)) {
    target.log('warn', `Connect from ${d.hostnqn}: host not allowed in ${d.subnqn}`);
    req.complete(Status.CONNECT_INVALID_HOST, connectInvalidParameterCdw0(true, ConnectDataOffset.HOSTNQN));
    return;
  }
  const isAdmin = cmd.qid === 0;
  const mqes = (isAdmin ? qp.info.maxAdminQueueDepth : qp.info.maxQueueDepth) - 1;
  if (cmd.sqsize < 1 || cmd.sqsize > mqes) {
    target.log('warn', `Connect from ${d.hostnqn}: SQSIZE ${cmd.sqsize} outside 1..${mqes}`);
    rejectParameter(req, false, FabricsSqeOffset.SQSIZE);
    return;
  }
  const sqFlowControlDisabled = (cmd.cattr & ConnectAttribute.DISABLE_SQ_FLOW_CONTROL) !== 0;
  let ctrl: Controller;
  if (isAdmin) {
    if (d.cntlid !== CNTLID_DYNAMIC) {
      rejectParameter(req, true, ConnectDataOffset.CNTLID);
      return;
    }
    const cntlid = subsystem.allocateCntlid();
    if (cntlid === 0) {
      req.complete(Status.CONNECT_CONTROLLER_BUSY);
      return;
    }
    ctrl = new Controller(target, subsystem, qp, { cntlid, hostnqn: d.hostnqn, hostid: d.hostid, katoMs: cmd.kato });
    target.log('info', `${subsystem.nqn}: controller ${cntlid} created for ${d.hostnqn} from ${qp.info.peerAddress}:${qp.info.peerPort}`);
  } else {
    const found = subsystem.controllers.get(d.cntlid);
    if (!found || found.hostnqn !== d.hostnqn) {
      target.log('warn', `I/O Connect from ${d.hostnqn}: no controller ${d.cntlid} of this host in ${d.subnqn}`);
      rejectParameter(req, true, ConnectDataOffset.CNTLID);
      return;
    }
    ctrl = found;
    if (!ctrl.ready) {
      req.complete(Status.COMMAND_SEQUENCE_ERROR);
      return;
    }
    if (cmd.qid > ctrl.features.ioQueues) {
      rejectParameter(req, false, FabricsSqeOffset.QID);
      return;
    }
    if (ctrl.hasIoQueue(cmd.qid)) {
      req.complete(Status.COMMAND_SEQUENCE_ERROR);
      return;
    }
    ctrl.attachIoQueue(cmd.qid, qp);
  }
  qp.connected(ctrl, cmd.qid, cmd.sqsize + 1, sqFlowControlDisabled);
  ctrl.keepAlive.commandSeen = true;
  req.complete(Status.SUCCESS, encodeConnectResponse({ cntlid: ctrl.cntlid, authreq: 0 }));
}
