import { describe, expect, it } from 'vitest';
import { packStatus } from '../../../src/spec/cqe.js';
import { AdminOpcode, FABRICS_OPCODE, IoOpcode } from '../../../src/spec/opcodes.js';
import {
  AdminCommandStatus,
  CommandSpecificStatus,
  FabricsCommandStatus,
  GenericStatus,
  MediaStatus,
  NvmCommandStatus,
  NvmeStatusError,
  PathStatus,
  StatusCodeType,
  isSuccess,
  statusCodeTypeName,
  statusName,
} from '../../../src/spec/status.js';

describe('status code tables', () => {
  it('hold the spec values', () => {
    expect(GenericStatus).toMatchObject({
      SUCCESS: 0x00,
      INVALID_OPCODE: 0x01,
      INVALID_FIELD: 0x02,
      COMMAND_ID_CONFLICT: 0x03,
      DATA_TRANSFER_ERROR: 0x04,
      INVALID_NAMESPACE_OR_FORMAT: 0x0b,
      COMMAND_SEQUENCE_ERROR: 0x0c,
      INVALID_SGL_SEGMENT_DESCRIPTOR: 0x0d,
      INVALID_NUMBER_OF_SGL_DESCRIPTORS: 0x0e,
      DATA_SGL_LENGTH_INVALID: 0x0f,
      SGL_DESCRIPTOR_TYPE_INVALID: 0x11,
      HOST_IDENTIFIER_INCONSISTENT_FORMAT: 0x18,
      KEEP_ALIVE_TIMER_EXPIRED: 0x19,
      KEEP_ALIVE_TIMEOUT_INVALID: 0x1a,
      TRANSIENT_TRANSPORT_ERROR: 0x22,
      LBA_OUT_OF_RANGE: 0x80,
      CAPACITY_EXCEEDED: 0x81,
      NAMESPACE_NOT_READY: 0x82,
      RESERVATION_CONFLICT: 0x83,
      FORMAT_IN_PROGRESS: 0x84,
    });
    expect(CommandSpecificStatus).toMatchObject({
      INVALID_QUEUE_IDENTIFIER: 0x01,
      INVALID_QUEUE_SIZE: 0x02,
      ABORT_COMMAND_LIMIT_EXCEEDED: 0x03,
      ASYNC_EVENT_REQUEST_LIMIT_EXCEEDED: 0x05,
      INVALID_LOG_PAGE: 0x09,
      FEATURE_ID_NOT_SAVEABLE: 0x0d,
      CONFLICTING_ATTRIBUTES: 0x80,
      INVALID_PROTECTION_INFORMATION: 0x81,
      CONNECT_INCOMPATIBLE_FORMAT: 0x80,
      CONNECT_CONTROLLER_BUSY: 0x81,
      CONNECT_INVALID_PARAMETERS: 0x82,
      CONNECT_RESTART_DISCOVERY: 0x83,
      CONNECT_INVALID_HOST: 0x84,
    });
    expect(MediaStatus).toMatchObject({ WRITE_FAULT: 0x80, UNRECOVERED_READ_ERROR: 0x81, COMPARE_FAILURE: 0x85, ACCESS_DENIED: 0x86, DEALLOCATED_OR_UNWRITTEN_BLOCK: 0x87 });
    expect(PathStatus).toMatchObject({
      INTERNAL_PATH_ERROR: 0x00,
      ASYMMETRIC_ACCESS_PERSISTENT_LOSS: 0x01,
      ASYMMETRIC_ACCESS_INACCESSIBLE: 0x02,
      ASYMMETRIC_ACCESS_TRANSITION: 0x03,
      CONTROLLER_PATHING_ERROR: 0x60,
      HOST_PATHING_ERROR: 0x70,
      ABORTED_BY_HOST: 0x71,
    });
  });

  it('have one name per value within each table', () => {
    for (const table of [GenericStatus, AdminCommandStatus, NvmCommandStatus, FabricsCommandStatus, MediaStatus, PathStatus]) {
      const values = Object.values(table);
      expect(new Set(values).size).toBe(values.length);
      for (const v of values) expect(v >= 0 && v <= 0xff).toBe(true);
    }
  });

  it('keep admin codes below 0x80 and command-set codes at 0x80 and up', () => {
    expect(Math.max(...Object.values(AdminCommandStatus))).toBeLessThan(0x80);
    expect(Math.min(...Object.values(NvmCommandStatus), ...Object.values(FabricsCommandStatus))).toBeGreaterThanOrEqual(0x80);
  });
});

describe('statusName', () => {
  it.each([
    [0, 0x00, 'SUCCESS'],
    [0, 0x01, 'INVALID OPCODE'],
    [0, 0x02, 'INVALID FIELD'],
    [0, 0x05, 'ABORTED - POWER LOSS'],
    [0, 0x06, 'INTERNAL DEVICE ERROR'],
    [0, 0x07, 'ABORTED - BY REQUEST'],
    [0, 0x08, 'ABORTED - SQ DELETION'],
    [0, 0x0b, 'INVALID NAMESPACE OR FORMAT'],
    [0, 0x0e, 'INVALID NUMBER OF SGL DESCRIPTORS'],
    [0, 0x13, 'INVALID PRP OFFSET'],
    [0, 0x18, 'HOSTID INCONSISTENT FORMAT'],
    [0, 0x19, 'KEEP ALIVE EXPIRED'],
    [0, 0x1a, 'KEEP ALIVE INVALID'],
    [0, 0x1b, 'ABORTED - PREEMPT AND ABORT'],
    [0, 0x1e, 'DATA BLOCK GRANULARITY INVALID'],
    [0, 0x1f, 'COMMAND NOT SUPPORTED FOR QUEUE IN CMB'],
    [0, 0x80, 'LBA OUT OF RANGE'],
    [0, 0x84, 'FORMAT IN PROGRESS'],
    [1, 0x00, 'INVALID COMPLETION QUEUE'],
    [1, 0x02, 'INVALID QUEUE SIZE'],
    [1, 0x03, 'ABORT CMD LIMIT EXCEEDED'],
    [1, 0x05, 'ASYNC LIMIT EXCEEDED'],
    [1, 0x09, 'INVALID LOG PAGE'],
    [1, 0x10, 'FIRMWARE REQUIRES NVM RESET'],
    [1, 0x1b, 'THINPROVISIONING NOT SUPPORTED'],
    [1, 0x1d, 'DEVICE SELF-TEST IN PROGRESS'],
    [1, 0x80, 'CONFLICTING ATTRIBUTES'],
    [1, 0x81, 'INVALID PROTECTION INFO'],
    [1, 0x82, 'WRITE TO RO RANGE'],
    [2, 0x80, 'WRITE FAULTS'],
    [2, 0x82, 'GUARD CHECK ERROR'],
    [2, 0x85, 'COMPARE FAILURE'],
    [2, 0x87, 'DEALLOCATED OR UNWRITTEN BLOCK'],
    [3, 0x00, 'INTERNAL PATH ERROR'],
    [3, 0x60, 'CONTROLLER PATH ERROR'],
    [3, 0x70, 'HOST PATH ERROR'],
    [3, 0x71, 'ABORTED BY HOST'],
  ])('SCT %i SC 0x%s prints as SPDK does', (sct, sc, name) => {
    expect(statusName(sct, sc)).toBe(name);
  });

  it('names codes SPDK lacks by the spec', () => {
    expect(statusName(3, 0x02)).toBe('ASYMMETRIC ACCESS INACCESSIBLE');
    expect(statusName(0, 0x22)).toBe('TRANSIENT TRANSPORT ERROR');
  });

  it('falls back like SPDK for unknown codes and types', () => {
    expect(statusName(0, 0x7e)).toBe('GENERIC');
    expect(statusName(1, 0xc0)).toBe('COMMAND SPECIFIC');
    expect(statusName(2, 0x00)).toBe('MEDIA ERROR');
    expect(statusName(3, 0x10)).toBe('PATH ERROR');
    expect(statusName(7, 0x01)).toBe('VENDOR SPECIFIC');
    for (const sct of [4, 5, 6]) expect(statusName(sct, 0)).toBe('RESERVED');
  });

  it('reads command specific codes 0x80 and up as Fabrics codes for Fabrics commands', () => {
    expect(statusName(1, 0x82, FABRICS_OPCODE)).toBe('CONNECT INVALID PARAMETERS');
    expect(statusName(1, 0x84, FABRICS_OPCODE)).toBe('CONNECT INVALID HOST');
    expect(statusName(1, 0x82, IoOpcode.WRITE)).toBe('WRITE TO RO RANGE');
    // Admin codes below 0x80 are shared by every command.
    expect(statusName(1, 0x01, FABRICS_OPCODE)).toBe('INVALID QUEUE IDENTIFIER');
  });

  it('names the status code types', () => {
    expect(statusCodeTypeName(StatusCodeType.GENERIC)).toBe('GENERIC');
    expect(statusCodeTypeName(StatusCodeType.COMMAND_SPECIFIC)).toBe('COMMAND SPECIFIC');
    expect(statusCodeTypeName(StatusCodeType.MEDIA_DATA_INTEGRITY)).toBe('MEDIA AND DATA INTEGRITY');
    expect(statusCodeTypeName(StatusCodeType.PATH)).toBe('PATH');
    expect(statusCodeTypeName(StatusCodeType.VENDOR_SPECIFIC)).toBe('VENDOR SPECIFIC');
    expect(statusCodeTypeName(5)).toBe('RESERVED');
  });
});

describe('isSuccess', () => {
  it('looks only at SCT and SC', () => {
    expect(isSuccess(0)).toBe(true);
    expect(isSuccess(packStatus({ dnr: true, more: true, crd: 3 }))).toBe(true);
    expect(isSuccess(packStatus({ sc: GenericStatus.INVALID_FIELD }))).toBe(false);
    expect(isSuccess(packStatus({ sct: StatusCodeType.PATH, sc: 0 }))).toBe(false);
  });
});

describe('NvmeStatusError', () => {
  it('carries the status and a trace-style message', () => {
    const err = new NvmeStatusError(
      { sct: 0, sc: GenericStatus.LBA_OUT_OF_RANGE, crd: 1, more: true, dnr: true },
      'READ sqid:1 cid:7 nsid:1 lba:0 len:8',
    );
    expect(err).toBeInstanceOf(Error);
    expect(err.name).toBe('NvmeStatusError');
    expect(err.message).toBe('READ sqid:1 cid:7 nsid:1 lba:0 len:8: LBA OUT OF RANGE (00/80) dnr:1');
    expect(err).toMatchObject({ sct: 0, sc: 0x80, crd: 1, more: true, dnr: true, statusName: 'LBA OUT OF RANGE' });
    expect(err.command).toBe('READ sqid:1 cid:7 nsid:1 lba:0 len:8');
  });

  it('accepts the packed 15-bit status field and works without a command', () => {
    const err = new NvmeStatusError(packStatus({ sct: 2, sc: MediaStatus.COMPARE_FAILURE }));
    expect(err.message).toBe('COMPARE FAILURE (02/85) dnr:0');
    expect(err.command).toBeUndefined();
  });

  it('names Fabrics codes when given the opcode', () => {
    const err = new NvmeStatusError({ sct: 1, sc: 0x82, crd: 0, more: false, dnr: true }, 'FABRIC CONNECT qid:0 cid:0', FABRICS_OPCODE);
    expect(err.message).toBe('FABRIC CONNECT qid:0 cid:0: CONNECT INVALID PARAMETERS (01/82) dnr:1');
    expect(new NvmeStatusError(packStatus({ sct: 1, sc: 0x0d }), undefined, AdminOpcode.SET_FEATURES).statusName).toBe(
      'FEATURE ID NOT SAVEABLE',
    );
  });
});
