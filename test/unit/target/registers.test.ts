import { describe, expect, it } from 'vitest';
import { decodeCap, decodeCsts, decodeVs, encodeCc, Register, ShutdownStatus } from '../../../src/spec/registers.js';
import { GenericStatus } from '../../../src/spec/status.js';
import { IoOpcode } from '../../../src/spec/opcodes.js';
import { AdminOpcode } from '../../../src/spec/opcodes.js';
import { FeatureId } from '../../../src/spec/features.js';
import {
  blockSqe,
  CC_ENABLE,
  connectAdmin,
  connectIo,
  enableController,
  getFeaturesSqe,
  identifySqe,
  makeTarget,
  propertyGet,
  propertySet,
  st,
  statusOf,
} from './harness.js';

const INVALID_FIELD = st(0, GenericStatus.INVALID_FIELD);
const CSE = st(0, GenericStatus.COMMAND_SEQUENCE_ERROR);

describe('Property Get/Set', () => {
  it('reports CAP from the transport limits and VS 1.3', () => {
    const { target } = makeTarget();
    const { admin } = connectAdmin(target);
    const cap = decodeCap(propertyGet(admin, Register.CAP, 8).value);
    expect(cap).toMatchObject({ mqes: 127, cqr: true, to: 15, dstrd: 0, css: 1, mpsmin: 0, mpsmax: 0 });
    expect(decodeVs(Number(propertyGet(admin, Register.VS, 4).value))).toEqual({ mjr: 1, mnr: 3, ter: 0 });
    // The two halves of CAP as 4-byte reads.
    const low = propertyGet(admin, Register.CAP, 4).value;
    const high = propertyGet(admin, Register.CAP + 4, 4).value;
    expect((high << 32n) | low).toBe(propertyGet(admin, Register.CAP, 8).value);
  });

  it('CC.EN = 1 sets CSTS.RDY; CC.EN = 0 clears it and drops the I/O queues', () => {
    const { target, subsystem } = makeTarget();
    const { admin, cntlid } = connectAdmin(target);
    expect(decodeCsts(Number(propertyGet(admin, Register.CSTS, 4).value)).rdy).toBe(false);
    expect(statusOf(propertySet(admin, Register.CC, 4, CC_ENABLE))).toBe('0/0x00');
    expect(propertyGet(admin, Register.CC, 4).value).toBe(BigInt(CC_ENABLE));
    expect(decodeCsts(Number(propertyGet(admin, Register.CSTS, 4).value)).rdy).toBe(true);
    const { io } = connectIo(target, cntlid);
    expect(statusOf(propertySet(admin, Register.CC, 4, 0))).toBe('0/0x00');
    expect(decodeCsts(Number(propertyGet(admin, Register.CSTS, 4).value)).rdy).toBe(false);
    expect(io.terminations).toHaveLength(1);
    expect(subsystem.controllers.get(cntlid)!.ioQueueCount).toBe(0);
    // The dropped queue answers COMMAND SEQUENCE ERROR until its transport closes it.
    expect(statusOf(io.run(blockSqe(IoOpcode.READ, 1, 0, 1)))).toBe(CSE);
    // The admin queue stays: enabling again works.
    propertySet(admin, Register.CC, 4, CC_ENABLE);
    expect(decodeCsts(Number(propertyGet(admin, Register.CSTS, 4).value)).rdy).toBe(true);
  });

  it('CC with an unsupported page size sets CSTS.CFS instead of RDY', () => {
    const { target } = makeTarget();
    const { admin } = connectAdmin(target);
    propertySet(admin, Register.CC, 4, encodeCc({ en: true, mps: 1, iosqes: 6, iocqes: 4 }));
    expect(decodeCsts(Number(propertyGet(admin, Register.CSTS, 4).value))).toMatchObject({ rdy: false, cfs: true });
  });

  it('CC.SHN reports CSTS.SHST complete, and clearing it returns to normal', () => {
    const { target, subsystem } = makeTarget();
    const { admin, cntlid } = enableController(target);
    const { io } = connectIo(target, cntlid);
    propertySet(admin, Register.CC, 4, encodeCc({ en: true, shn: 1, iosqes: 6, iocqes: 4 }));
    expect(decodeCsts(Number(propertyGet(admin, Register.CSTS, 4).value)).shst).toBe(ShutdownStatus.COMPLETE);
    expect(io.terminations).toHaveLength(1);
    propertySet(admin, Register.CC, 4, 0);
    propertySet(admin, Register.CC, 4, CC_ENABLE);
    expect(decodeCsts(Number(propertyGet(admin, Register.CSTS, 4).value))).toMatchObject({ rdy: true, shst: ShutdownStatus.NORMAL });
    // A clean shutdown is not an unsafe one when the association ends.
    propertySet(admin, Register.CC, 4, encodeCc({ en: true, shn: 1, iosqes: 6, iocqes: 4 }));
    admin.qp.close('host disconnected');
    expect(subsystem.unsafeShutdowns).toBe(0);
  });

  it('refuses writes to read-only and unknown properties, and wrong sizes, with INVALID FIELD', () => {
    const { target } = makeTarget();
    const { admin } = connectAdmin(target);
    expect(statusOf(propertySet(admin, Register.CAP, 8, 0))).toBe(INVALID_FIELD);
    expect(statusOf(propertySet(admin, Register.CSTS, 4, 0))).toBe(INVALID_FIELD);
    expect(statusOf(propertySet(admin, Register.VS, 4, 0))).toBe(INVALID_FIELD);
    expect(statusOf(propertySet(admin, Register.CC, 8, 1))).toBe(INVALID_FIELD);
    expect(statusOf(propertyGet(admin, Register.NSSR, 4).status)).toBe(INVALID_FIELD);
    expect(statusOf(propertyGet(admin, Register.CC, 8).status)).toBe(INVALID_FIELD);
    expect(propertySet(admin, Register.CAP, 8, 0).dnr).toBe(true);
  });

  it('allows only Fabrics commands and Identify while CC.EN = 0', () => {
    const { target } = makeTarget();
    const { admin } = connectAdmin(target);
    expect(statusOf(admin.run(identifySqe(1)))).toBe('0/0x00');
    expect(statusOf(admin.run(getFeaturesSqe(FeatureId.NUMBER_OF_QUEUES)))).toBe(CSE);
    const keepAlive = Buffer.alloc(64);
    keepAlive[0] = AdminOpcode.KEEP_ALIVE;
    expect(statusOf(admin.run(keepAlive))).toBe(CSE);
  });
});
