import { describe, expect, it } from 'vitest';
import {
  ConnectDataOffset,
  decodeConnectInvalidParameter,
  encodeConnectSqe,
  encodeDisconnectSqe,
  FabricsSqeOffset,
} from '../../../src/spec/fabrics.js';
import { CommandSpecificStatus, GenericStatus, StatusCodeType } from '../../../src/spec/status.js';
import { Register } from '../../../src/spec/registers.js';
import {
  connectAdmin,
  connectData,
  connectIo,
  connectionInfo,
  connectSqe,
  enableController,
  HostQueue,
  HOSTNQN,
  identifySqe,
  makeTarget,
  OTHER_HOSTNQN,
  propertyGet,
  setFeaturesSqe,
  st,
  statusOf,
  SUBNQN,
  withInCapsuleSgl,
} from './harness.js';
import { FeatureId } from '../../../src/spec/features.js';

const CSE = st(0, GenericStatus.COMMAND_SEQUENCE_ERROR);
const INVALID_PARAMETERS = st(1, CommandSpecificStatus.CONNECT_INVALID_PARAMETERS);

describe('admin queue Connect', () => {
  it('creates a controller with a dynamic CNTLID and echoes CID, SQID and SQHD', () => {
    const { target, subsystem } = makeTarget();
    const q = new HostQueue(target.createQueuePair(connectionInfo()));
    const sqe = connectSqe(0, 31);
    sqe.writeUInt16LE(0x1234, 2);
    const c = q.run(sqe, connectData(SUBNQN));
    expect(statusOf(c)).toBe('0/0x00');
    expect(c.cid).toBe(0x1234);
    expect(c.sqid).toBe(0);
    expect(c.sqhd).toBe(1);
    expect(c.cdw0 & 0xffff).toBe(1);
    expect(subsystem.controllers.get(1)?.hostnqn).toBe(HOSTNQN);
    const second = connectAdmin(target);
    expect(second.cntlid).toBe(2);
  });

  it('rejects every command before Connect with COMMAND SEQUENCE ERROR', () => {
    const { target } = makeTarget();
    const q = new HostQueue(target.createQueuePair(connectionInfo()));
    expect(statusOf(q.run(identifySqe(1)))).toBe(CSE);
    expect(statusOf(propertyGet(q, Register.CAP, 8).status)).toBe(CSE);
    expect(q.run(identifySqe(1)).dnr).toBe(true);
  });

  it('rejects a second Connect on the same queue with COMMAND SEQUENCE ERROR', () => {
    const { target } = makeTarget();
    const { admin } = connectAdmin(target);
    expect(statusOf(admin.run(connectSqe(0, 31), connectData(SUBNQN)))).toBe(CSE);
  });

  it('points IPO at SUBNQN in the data (IATTR 1) for an unknown subsystem', () => {
    const { target } = makeTarget();
    const q = new HostQueue(target.createQueuePair(connectionInfo()));
    const c = q.run(connectSqe(0, 31), connectData('nqn.2016-06.io.nvmekit:nope'));
    expect(statusOf(c)).toBe(INVALID_PARAMETERS);
    expect(c.dnr).toBe(true);
    expect(decodeConnectInvalidParameter(c.cdw0)).toEqual({ inData: true, offset: ConnectDataOffset.SUBNQN });
  });

  it('hides a subsystem exported on other listeners', () => {
    const { target, subsystem } = makeTarget();
    subsystem.addListener({ trtype: 'TCP', adrfam: 'IPv4', traddr: '127.0.0.1', trsvcid: '4421' });
    const q = new HostQueue(target.createQueuePair(connectionInfo({ trsvcid: '4420' })));
    expect(statusOf(q.run(connectSqe(0, 31), connectData(SUBNQN)))).toBe(INVALID_PARAMETERS);
    const ok = new HostQueue(target.createQueuePair(connectionInfo({ trsvcid: '4421' })));
    expect(statusOf(ok.run(connectSqe(0, 31), connectData(SUBNQN)))).toBe('0/0x00');
  });

  it('refuses a host that is not allowed with CONNECT INVALID HOST', () => {
    const { target } = makeTarget({ hosts: [OTHER_HOSTNQN] });
    const q = new HostQueue(target.createQueuePair(connectionInfo()));
    const c = q.run(connectSqe(0, 31), connectData(SUBNQN, HOSTNQN));
    expect(statusOf(c)).toBe(st(1, CommandSpecificStatus.CONNECT_INVALID_HOST));
    const allowed = new HostQueue(target.createQueuePair(connectionInfo()));
    expect(statusOf(allowed.run(connectSqe(0, 31), connectData(SUBNQN, OTHER_HOSTNQN)))).toBe('0/0x00');
  });

  it.each([
    ['zero (one entry)', 0],
    ['above the admin queue depth', 32],
  ])('rejects SQSIZE %s with IPO at SQSIZE in the SQE (IATTR 0)', (_what, sqsize) => {
    const { target } = makeTarget();
    const q = new HostQueue(target.createQueuePair(connectionInfo({ maxAdminQueueDepth: 32 })));
    const c = q.run(connectSqe(0, sqsize), connectData(SUBNQN));
    expect(statusOf(c)).toBe(INVALID_PARAMETERS);
    expect(decodeConnectInvalidParameter(c.cdw0)).toEqual({ inData: false, offset: FabricsSqeOffset.SQSIZE });
  });

  it('answers RECFMT other than 0 with CONNECT INCOMPATIBLE FORMAT', () => {
    const { target } = makeTarget();
    const q = new HostQueue(target.createQueuePair(connectionInfo()));
    const sqe = withInCapsuleSgl(encodeConnectSqe(Buffer.alloc(64), { cid: 7, qid: 0, sqsize: 31, recfmt: 1 }), 1024);
    expect(statusOf(q.run(sqe, connectData(SUBNQN)))).toBe(st(1, CommandSpecificStatus.CONNECT_INCOMPATIBLE_FORMAT));
  });

  it('requires CNTLID FFFFh on the admin queue', () => {
    const { target } = makeTarget();
    const q = new HostQueue(target.createQueuePair(connectionInfo()));
    const c = q.run(connectSqe(0, 31), connectData(SUBNQN, HOSTNQN, 5));
    expect(statusOf(c)).toBe(INVALID_PARAMETERS);
    expect(decodeConnectInvalidParameter(c.cdw0)).toEqual({ inData: true, offset: ConnectDataOffset.CNTLID });
  });

  it('wants exactly 1024 bytes of Connect data', () => {
    const { target } = makeTarget();
    const q = new HostQueue(target.createQueuePair(connectionInfo()));
    expect(statusOf(q.run(connectSqe(0, 31), null))).toBe(st(0, GenericStatus.DATA_SGL_LENGTH_INVALID));
  });

  it('points IPO at HOSTNQN when it is not NUL-terminated', () => {
    const { target } = makeTarget();
    const q = new HostQueue(target.createQueuePair(connectionInfo()));
    const data = connectData(SUBNQN);
    data.fill(0x61, ConnectDataOffset.HOSTNQN, ConnectDataOffset.HOSTNQN + 256);
    const c = q.run(connectSqe(0, 31), data);
    expect(decodeConnectInvalidParameter(c.cdw0)).toEqual({ inData: true, offset: ConnectDataOffset.HOSTNQN });
  });
});

describe('I/O queue Connect', () => {
  it('joins the controller named by CNTLID and reports SQID and SQHD per command', () => {
    const { target, subsystem } = makeTarget();
    const { cntlid } = enableController(target);
    const { io, completion } = connectIo(target, cntlid, 1, { sqsize: 3 });
    expect(statusOf(completion)).toBe('0/0x00');
    expect(completion.sqid).toBe(1);
    expect(completion.cdw0 & 0xffff).toBe(cntlid);
    expect(subsystem.controllers.get(cntlid)!.ioQueueCount).toBe(1);
    // SQ of 4 entries: SQHD runs 1 (Connect), 2, 3, 0, 1.
    const heads = [completion.sqhd];
    for (let i = 0; i < 4; i++) heads.push(io.run(encodeFlush()).sqhd);
    expect(heads).toEqual([1, 2, 3, 0, 1]);
  });

  it('needs a live controller of the same host', () => {
    const { target } = makeTarget();
    const { cntlid } = enableController(target);
    const unknown = connectIo(target, cntlid + 1).completion;
    expect(statusOf(unknown)).toBe(INVALID_PARAMETERS);
    expect(decodeConnectInvalidParameter(unknown.cdw0)).toEqual({ inData: true, offset: ConnectDataOffset.CNTLID });
    const otherHost = connectIo(target, cntlid, 1, { hostnqn: OTHER_HOSTNQN }).completion;
    expect(statusOf(otherHost)).toBe(INVALID_PARAMETERS);
  });

  it('is a COMMAND SEQUENCE ERROR before the controller is enabled', () => {
    const { target } = makeTarget();
    const { cntlid } = connectAdmin(target);
    expect(statusOf(connectIo(target, cntlid).completion)).toBe(CSE);
  });

  it('takes only QIDs within the queues granted, each once', () => {
    const { target } = makeTarget();
    const { admin, cntlid } = enableController(target);
    // Ask for 2 I/O queues (0-based counts 1/1).
    const nq = admin.run(setFeaturesSqe(FeatureId.NUMBER_OF_QUEUES, 0x0001_0001));
    expect(nq.cdw0).toBe(0x0001_0001);
    expect(statusOf(connectIo(target, cntlid, 2).completion)).toBe('0/0x00');
    const tooHigh = connectIo(target, cntlid, 3).completion;
    expect(statusOf(tooHigh)).toBe(INVALID_PARAMETERS);
    expect(decodeConnectInvalidParameter(tooHigh.cdw0)).toEqual({ inData: false, offset: FabricsSqeOffset.QID });
    expect(statusOf(connectIo(target, cntlid, 2).completion)).toBe(CSE);
  });

  it('rejects SQSIZE above CAP.MQES', () => {
    const { target } = makeTarget();
    const { cntlid } = enableController(target);
    const c = connectIo(target, cntlid, 1, { sqsize: 128 }).completion;
    expect(statusOf(c)).toBe(INVALID_PARAMETERS);
    expect(decodeConnectInvalidParameter(c.cdw0).offset).toBe(FabricsSqeOffset.SQSIZE);
  });

  it('Disconnect completes and drops the I/O queue; on the admin queue it is INVALID QUEUE TYPE', () => {
    const { target, subsystem } = makeTarget();
    const { admin, cntlid } = enableController(target);
    const { io } = connectIo(target, cntlid);
    expect(statusOf(admin.run(encodeDisconnectSqe(Buffer.alloc(64), { cid: 0 })))).toBe(
      st(1, CommandSpecificStatus.INVALID_QUEUE_TYPE),
    );
    expect(statusOf(io.run(encodeDisconnectSqe(Buffer.alloc(64), { cid: 0 })))).toBe('0/0x00');
    expect(io.terminations).toEqual(['Disconnect']);
    io.qp.close('socket closed');
    expect(subsystem.controllers.get(cntlid)!.ioQueueCount).toBe(0);
  });

  it('keeps SQHD at 0 when the host disabled SQ flow control', () => {
    const { target } = makeTarget();
    const { cntlid } = enableController(target);
    const io = new HostQueue(target.createQueuePair(connectionInfo()));
    const c = io.run(connectSqe(1, 15, 0, 0x04), connectData(SUBNQN, HOSTNQN, cntlid));
    expect(c.sqhd).toBe(0);
    expect(io.run(encodeFlush()).sqhd).toBe(0);
    expect(StatusCodeType.GENERIC).toBe(0);
  });
});

function encodeFlush(): Buffer {
  const sqe = Buffer.alloc(64);
  sqe.writeUInt32LE(1, 4);
  return sqe;
}
