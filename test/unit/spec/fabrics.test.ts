import { describe, expect, it } from 'vitest';
import { ConfigError, ProtocolError } from '../../../src/spec/errors.js';
import {
  CNTLID_DYNAMIC,
  CONNECT_DATA_SIZE,
  ConnectDataOffset,
  DISCOVERY_NQN,
  FabricsCommandType,
  FabricsSqeOffset,
  connectInvalidParameterCdw0,
  connectParameterAt,
  decodeConnectData,
  decodeConnectInvalidParameter,
  decodeConnectResponse,
  decodeFabricsSqe,
  encodeAuthenticationSqe,
  encodeConnectData,
  encodeConnectResponse,
  encodeConnectSqe,
  encodeDisconnectSqe,
  encodeFabricsSqe,
  encodePropertyGetSqe,
  encodePropertySetSqe,
  fabricsCommandTypeName,
  formatUuid,
  isConnectDataParameter,
  parseUuid,
  propertyValueFromCqe,
  propertyValueToCqe,
  type ConnectCommand,
  type FabricsCommand,
} from '../../../src/spec/fabrics.js';
import { FABRICS_OPCODE } from '../../../src/spec/opcodes.js';
import { decodeCqe } from '../../../src/spec/cqe.js';
import { commandCapsules, readStream, responseCapsules, streamNames } from './capsule-streams.js';

const LINUX_HOSTID = '6b1f5a3e-2f0e-4a63-9d8e-0c4c2c1b7d10';
const LINUX_HOSTNQN = `nqn.2014-08.org.nvmexpress:uuid:${LINUX_HOSTID}`;
const LAB_SUBNQN = 'nqn.2024-01.io.lab:sub1';
const SPDK_SUBNQN = 'nqn.2016-06.io.spdk:cnode1';

/** The PSDT bits (flags byte) and SGL1 are the transport's to fill; the Fabrics builders leave them zero. */
function withoutTransportFields(sqe: Buffer): Buffer {
  const copy = Buffer.from(sqe);
  copy[1] = 0;
  copy.fill(0, FabricsSqeOffset.SGL1, FabricsSqeOffset.SGL1 + 16);
  return copy;
}

interface CapturedConnect {
  stream: string;
  cmd: ConnectCommand;
  data: ReturnType<typeof decodeConnectData>;
  dataBytes: Buffer;
  /** CNTLID in dword 0 of the matching CapsuleResp. */
  responseCntlid: number;
}

function capturedConnect(stream: string): CapturedConnect {
  const first = commandCapsules(readStream(stream))[0]!;
  const cmd = decodeFabricsSqe(first.entry);
  if (cmd.fctype !== FabricsCommandType.CONNECT) throw new Error(`${stream}: first command is not Connect`);
  const resp = responseCapsules(readStream(stream.replace('host-to-ctrl', 'ctrl-to-host'))).map((c) =>
    decodeCqe(c.entry),
  );
  const connectResp = resp.find((cqe) => cqe.cid === cmd.cid)!;
  expect(connectResp.sct, `${stream} Connect status`).toBe(0);
  expect(connectResp.sc, `${stream} Connect status`).toBe(0);
  return {
    stream,
    cmd,
    data: decodeConnectData(first.data),
    dataBytes: first.data,
    responseCntlid: decodeConnectResponse(connectResp.cdw0).cntlid,
  };
}

const hostStreams = streamNames('host-to-ctrl');

describe('Fabrics commands in the Linux and SPDK captures', () => {
  it('finds the streams', () => {
    expect(hostStreams.length).toBe(14);
  });

  it.each(hostStreams)('%s: every Fabrics SQE decodes and re-encodes to the same bytes', (stream) => {
    const fabrics = commandCapsules(readStream(stream)).filter((c) => c.entry[0] === FABRICS_OPCODE);
    expect(fabrics.length).toBeGreaterThan(0);
    for (const { entry } of fabrics) {
      // Both hosts send SGLs (PSDT 01b) on TCP.
      expect(entry[1]! >> 6).toBe(1);
      const rebuilt = encodeFabricsSqe(Buffer.alloc(64, 0xee), decodeFabricsSqe(entry));
      expect(rebuilt.toString('hex')).toBe(withoutTransportFields(entry).toString('hex'));
    }
  });

  it.each(hostStreams)('%s: the Connect data decodes and re-encodes to the same 1024 bytes', (stream) => {
    const { data, dataBytes } = capturedConnect(stream);
    expect(dataBytes.length).toBe(CONNECT_DATA_SIZE);
    expect(encodeConnectData(data).equals(dataBytes)).toBe(true);
  });

  it('Linux: discovery, admin and I/O Connects carry the expected fields', () => {
    for (const variant of ['plain', 'digests']) {
      const [disc, admin, io] = [0, 1, 2].map((n) =>
        capturedConnect(`linux-host-to-linux-nvmet-tcp-${variant}.conn${n}.host-to-ctrl.bin`),
      );
      expect(disc!.cmd).toEqual({ fctype: FabricsCommandType.CONNECT, cid: 0, recfmt: 0, qid: 0, sqsize: 31, cattr: 0, kato: 0 });
      expect(disc!.data).toEqual({ hostid: LINUX_HOSTID, cntlid: CNTLID_DYNAMIC, subnqn: DISCOVERY_NQN, hostnqn: LINUX_HOSTNQN });

      expect(admin!.cmd).toMatchObject({ qid: 0, sqsize: 31, kato: 5000 });
      expect(admin!.data).toEqual({ hostid: LINUX_HOSTID, cntlid: CNTLID_DYNAMIC, subnqn: LAB_SUBNQN, hostnqn: LINUX_HOSTNQN });

      expect(io!.cmd).toMatchObject({ qid: 1, sqsize: 127, kato: 0 });
      // The I/O queue joins the controller the admin Connect was given.
      expect(io!.data).toEqual({ hostid: LINUX_HOSTID, cntlid: admin!.responseCntlid, subnqn: LAB_SUBNQN, hostnqn: LINUX_HOSTNQN });
      expect(io!.responseCntlid).toBe(admin!.responseCntlid);
    }
  });

  it('SPDK identify: admin Connects to cnode1 and to the discovery subsystem', () => {
    const [cnode, disc] = [0, 1].map((n) => capturedConnect(`spdk-identify-to-spdk-nvmf-tgt-tcp.conn${n}.host-to-ctrl.bin`));
    for (const c of [cnode!, disc!]) {
      expect(c.cmd).toMatchObject({ qid: 0, sqsize: 31, kato: 10000, cattr: 0, recfmt: 0 });
      expect(c.data.cntlid).toBe(CNTLID_DYNAMIC);
      expect(c.data.hostnqn).toBe(`nqn.2014-08.org.nvmexpress:uuid:${c.data.hostid}`);
    }
    expect(cnode!.data.subnqn).toBe(SPDK_SUBNQN);
    expect(disc!.data.subnqn).toBe(DISCOVERY_NQN);
  });

  it('SPDK perf: each I/O Connect names the CNTLID of its admin Connect and the same host ID', () => {
    for (const pair of [
      [0, 1],
      [2, 3],
      [4, 5],
    ]) {
      const [admin, io] = pair.map((n) => capturedConnect(`spdk-perf-to-spdk-nvmf-tgt-tcp-digests.conn${n}.host-to-ctrl.bin`));
      expect(admin!.cmd).toMatchObject({ qid: 0, sqsize: 31, kato: 10000 });
      expect(admin!.data).toMatchObject({ cntlid: CNTLID_DYNAMIC, subnqn: SPDK_SUBNQN, hostnqn: '' });
      expect(io!.cmd).toMatchObject({ qid: 1, sqsize: 127, kato: 10000 });
      expect(io!.data).toEqual({ ...admin!.data, cntlid: admin!.responseCntlid });
      expect(admin!.responseCntlid).not.toBe(CNTLID_DYNAMIC);
    }
  });

  it('Linux: the Property Get/Set sequence of controller enable and shutdown', () => {
    const cmds = commandCapsules(readStream('linux-host-to-linux-nvmet-tcp-plain.conn0.host-to-ctrl.bin'))
      .filter((c) => c.entry[0] === FABRICS_OPCODE)
      .map((c) => decodeFabricsSqe(c.entry))
      .slice(1);
    const summary = cmds.map((c) =>
      c.fctype === FabricsCommandType.PROPERTY_SET
        ? `set ${c.offset.toString(16)}/${c.size}=${c.value.toString(16)}`
        : c.fctype === FabricsCommandType.PROPERTY_GET
          ? `get ${c.offset.toString(16)}/${c.size}`
          : fabricsCommandTypeName(c.fctype),
    );
    expect(summary).toEqual([
      'get 0/8',
      'set 14/4=460060',
      'get 14/4',
      'get 0/8',
      'set 14/4=460061',
      'get 1c/4',
      'get 8/4',
      'set 14/4=464061',
      'get 1c/4',
    ]);
  });

  it('Linux: Property Get of CAP returns the 64-bit value in CQE dwords 0 and 1', () => {
    const host = commandCapsules(readStream('linux-host-to-linux-nvmet-tcp-plain.conn0.host-to-ctrl.bin'));
    const ctrl = responseCapsules(readStream('linux-host-to-linux-nvmet-tcp-plain.conn0.ctrl-to-host.bin')).map((c) =>
      decodeCqe(c.entry),
    );
    const getCap = decodeFabricsSqe(host[1]!.entry);
    expect(getCap).toEqual({ fctype: FabricsCommandType.PROPERTY_GET, cid: 1, size: 8, offset: 0 });
    const cqe = ctrl.find((c) => c.cid === getCap.cid)!;
    const cap = propertyValueFromCqe(cqe.cdw0, cqe.cdw1, 8);
    // MQES is 0-based in bits 15:0; nvmet advertises 1024 entries.
    expect(Number(cap & 0xffffn) + 1).toBe(1024);
    expect(propertyValueToCqe(cap)).toEqual({ cdw0: cqe.cdw0, cdw1: cqe.cdw1 });
  });
});

describe('Fabrics SQE builders', () => {
  it('Connect lays out RECFMT, QID, SQSIZE, CATTR and KATO', () => {
    const sqe = encodeConnectSqe(Buffer.alloc(64, 0xff), { cid: 0x1234, qid: 3, sqsize: 127, cattr: 4, kato: 120000 });
    expect(sqe[0]).toBe(0x7f);
    expect(sqe[1]).toBe(0);
    expect(sqe.readUInt16LE(2)).toBe(0x1234);
    expect(sqe[4]).toBe(FabricsCommandType.CONNECT);
    expect(sqe.readUInt16LE(40)).toBe(0);
    expect(sqe.readUInt16LE(42)).toBe(3);
    expect(sqe.readUInt16LE(44)).toBe(127);
    expect(sqe[46]).toBe(4);
    expect(sqe.readUInt32LE(48)).toBe(120000);
    expect(decodeFabricsSqe(sqe)).toEqual({ fctype: 1, cid: 0x1234, recfmt: 0, qid: 3, sqsize: 127, cattr: 4, kato: 120000 });
  });

  it('Property Set of a 4-byte property keeps only the low 32 bits', () => {
    const sqe = encodePropertySetSqe(Buffer.alloc(64), { cid: 9, offset: 0x14, size: 4, value: 0x1_0046_0001n });
    expect(sqe.readBigUInt64LE(48)).toBe(0x460001n);
    expect(decodeFabricsSqe(sqe)).toEqual({ fctype: 0, cid: 9, size: 4, offset: 0x14, value: 0x460001n });
  });

  it('Property Set and Get of an 8-byte property', () => {
    const set = encodePropertySetSqe(Buffer.alloc(64), { cid: 1, offset: 0x28, size: 8, value: 0xfedc_ba98_7654_3210n });
    expect(set[40]).toBe(1);
    expect(decodeFabricsSqe(set)).toMatchObject({ size: 8, offset: 0x28, value: 0xfedc_ba98_7654_3210n });
    const get = encodePropertyGetSqe(Buffer.alloc(64), { cid: 2, offset: 0, size: 8 });
    expect(decodeFabricsSqe(get)).toEqual({ fctype: 4, cid: 2, size: 8, offset: 0 });
  });

  it('rejects property sizes other than 4 and 8', () => {
    expect(() => encodePropertyGetSqe(Buffer.alloc(64), { cid: 0, offset: 0, size: 2 as 4 })).toThrow(RangeError);
  });

  it('writes at an offset inside a larger buffer', () => {
    const buf = Buffer.alloc(192, 0xaa);
    encodeDisconnectSqe(buf, { cid: 5 }, 64);
    expect(buf.subarray(0, 64).every((b) => b === 0xaa)).toBe(true);
    expect(buf.subarray(128).every((b) => b === 0xaa)).toBe(true);
    expect(decodeFabricsSqe(buf, 64)).toEqual({ fctype: FabricsCommandType.DISCONNECT, cid: 5, recfmt: 0 });
  });

  it('round-trips Authentication Send and Receive', () => {
    for (const fctype of [FabricsCommandType.AUTHENTICATION_SEND, FabricsCommandType.AUTHENTICATION_RECEIVE] as const) {
      const cmd: FabricsCommand = { fctype, cid: 7, secp: 0xe9, spsp0: 0x01, spsp1: 0x02, length: 512 };
      const sqe = encodeAuthenticationSqe(Buffer.alloc(64), fctype, cmd);
      expect([sqe[41], sqe[42], sqe[43], sqe.readUInt32LE(44)]).toEqual([1, 2, 0xe9, 512]);
      expect(decodeFabricsSqe(sqe)).toEqual(cmd);
    }
  });

  it('names command types like SPDK', () => {
    expect(fabricsCommandTypeName(FabricsCommandType.PROPERTY_GET)).toBe('PROPERTY GET');
    expect(fabricsCommandTypeName(FabricsCommandType.AUTHENTICATION_RECEIVE)).toBe('AUTHENTICATION RECV');
    expect(fabricsCommandTypeName(0x42)).toBe('RESERVED / VENDOR SPECIFIC');
  });
});

describe('decodeFabricsSqe rejects what is not a Fabrics command', () => {
  const connect = () => encodeConnectSqe(Buffer.alloc(64), { cid: 1, qid: 0, sqsize: 31 });

  it.each([
    ['opc', (b: Buffer) => (b[0] = 0x06)],
    ['fctype', (b: Buffer) => (b[4] = 0x02)],
  ])('names the field %s', (field, corrupt) => {
    const sqe = connect();
    corrupt(sqe);
    expect(() => decodeFabricsSqe(sqe)).toThrow(expect.objectContaining({ name: 'ProtocolError', field }));
  });

  it('rejects a property size code other than 0 and 1', () => {
    const sqe = encodePropertyGetSqe(Buffer.alloc(64), { cid: 1, offset: 0, size: 4 });
    sqe[40] = 2;
    expect(() => decodeFabricsSqe(sqe)).toThrow(ProtocolError);
    expect(() => decodeFabricsSqe(sqe)).toThrow(/attrib=2/);
  });

  it('rejects a short buffer', () => {
    expect(() => decodeFabricsSqe(Buffer.alloc(63))).toThrow(ProtocolError);
  });
});

describe('Connect data', () => {
  const data = { hostid: LINUX_HOSTID, cntlid: 0x0001, subnqn: LAB_SUBNQN, hostnqn: LINUX_HOSTNQN };

  it('lays out HOSTID, CNTLID, SUBNQN and HOSTNQN', () => {
    const buf = encodeConnectData(data);
    expect(buf.length).toBe(1024);
    expect(buf.subarray(0, 16).toString('hex')).toBe(LINUX_HOSTID.replace(/-/g, ''));
    expect(buf.readUInt16LE(16)).toBe(1);
    expect(buf.toString('latin1', 256, 256 + LAB_SUBNQN.length)).toBe(LAB_SUBNQN);
    expect(buf[256 + LAB_SUBNQN.length]).toBe(0);
    expect(buf.toString('latin1', 512, 512 + LINUX_HOSTNQN.length)).toBe(LINUX_HOSTNQN);
    expect(decodeConnectData(buf)).toEqual(data);
  });

  it('accepts the host ID as 16 bytes', () => {
    const bytes = parseUuid(LINUX_HOSTID);
    expect(decodeConnectData(encodeConnectData({ ...data, hostid: bytes })).hostid).toBe(LINUX_HOSTID);
    expect(formatUuid(bytes)).toBe(LINUX_HOSTID);
  });

  it('rejects a malformed host ID and an over-long NQN when encoding', () => {
    expect(() => encodeConnectData({ ...data, hostid: 'not-a-uuid' })).toThrow(ConfigError);
    expect(() => encodeConnectData({ ...data, hostid: new Uint8Array(15) })).toThrow(/hostid/);
    expect(() => encodeConnectData({ ...data, subnqn: 'n'.repeat(224) })).toThrow(/subnqn/);
    expect(() => encodeConnectData({ ...data, hostnqn: 'a\0b' })).toThrow(/hostnqn/);
    expect(encodeConnectData({ ...data, subnqn: 'n'.repeat(223) }).length).toBe(1024);
  });

  it('rejects an unterminated or over-long NQN when decoding', () => {
    const unterminated = encodeConnectData(data);
    unterminated.fill(0x61, ConnectDataOffset.SUBNQN, ConnectDataOffset.SUBNQN + 256);
    expect(() => decodeConnectData(unterminated)).toThrow(expect.objectContaining({ field: 'subnqn' }));

    const tooLong = encodeConnectData(data);
    tooLong.fill(0x61, ConnectDataOffset.HOSTNQN, ConnectDataOffset.HOSTNQN + 240);
    expect(() => decodeConnectData(tooLong)).toThrow(expect.objectContaining({ field: 'hostnqn', value: 240 }));
  });

  it('rejects short data', () => {
    expect(() => decodeConnectData(Buffer.alloc(1023))).toThrow(ProtocolError);
  });
});

describe('Connect completions', () => {
  it('splits dword 0 into CNTLID and AUTHREQ', () => {
    expect(decodeConnectResponse(0x0006_0005)).toEqual({ cntlid: 5, authreq: 6 });
    expect(encodeConnectResponse({ cntlid: 0xfffe, authreq: 2 })).toBe(0x0002_fffe);
  });

  it('points CONNECT_INVALID_PARAMETERS at the SQE or the Connect data', () => {
    expect(connectInvalidParameterCdw0(false, FabricsSqeOffset.QID)).toBe(42);
    expect(connectInvalidParameterCdw0(true, ConnectDataOffset.SUBNQN)).toBe(0x1_0100);
    expect(decodeConnectInvalidParameter(0x1_0200)).toEqual({ inData: true, offset: ConnectDataOffset.HOSTNQN });
    expect(decodeConnectInvalidParameter(44)).toEqual({ inData: false, offset: FabricsSqeOffset.SQSIZE });
    expect(connectParameterAt(decodeConnectInvalidParameter(0x1_0100))).toBe('subnqn');
    expect(connectParameterAt(decodeConnectInvalidParameter(0x1_0010))).toBe('cntlid');
    expect(connectParameterAt(decodeConnectInvalidParameter(42))).toBe('qid');
    expect(connectParameterAt({ inData: false, offset: 256 })).toBeUndefined();
    expect([isConnectDataParameter('hostnqn'), isConnectDataParameter('kato')]).toEqual([true, false]);
  });

  it('reads 4-byte property values from dword 0 only', () => {
    expect(propertyValueFromCqe(0x0001_0300, 0xdead_beef, 4)).toBe(0x10300n);
    expect(propertyValueFromCqe(0xffff_ffff, 0x1, 8)).toBe(0x1_ffff_ffffn);
  });
});
