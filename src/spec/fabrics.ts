/**
 * NVMe over Fabrics commands (NVMe-oF spec "Fabrics Command Set"): Connect,
 * Property Get/Set, Disconnect, Authentication Send/Receive. Builders for the
 * host, a decoder for the target, and the 1024-byte Connect data.
 *
 * Every Fabrics command is opcode 0x7f with FCTYPE in SQE byte 4. The builders
 * leave PSDT and SGL1 zero: the transport fills them, as for any other command.
 */
import { ConfigError, ProtocolError } from './errors.js';
import { formatUuid } from './field-layout.js';
import { FABRICS_OPCODE } from './opcodes.js';
import { dataDirectionOf, SQE_SIZE, SqeOffset, type DataDirection } from './sqe.js';

/** The Fabrics status codes live with the others; re-exported for Fabrics users. */
export { FabricsCommandStatus } from './status.js';
/** Host IDs are UUIDs; the formatter lives with the field codecs that also print them. */
export { formatUuid };

/** FCTYPE values. */
export const FabricsCommandType = {
  PROPERTY_SET: 0x00,
  CONNECT: 0x01,
  PROPERTY_GET: 0x04,
  AUTHENTICATION_SEND: 0x05,
  AUTHENTICATION_RECEIVE: 0x06,
  DISCONNECT: 0x08,
} as const;
export type FabricsCommandType = (typeof FabricsCommandType)[keyof typeof FabricsCommandType];

/** SPDK's trace spellings, where they differ from the key with spaces. */
const FCTYPE_NAMES = new Map<number, string>(
  Object.entries(FabricsCommandType).map(([key, fctype]) => [
    fctype,
    key === 'AUTHENTICATION_RECEIVE' ? 'AUTHENTICATION RECV' : key.replace(/_/g, ' '),
  ]),
);

/** The name of a Fabrics command type as SPDK prints it (`CONNECT`, `PROPERTY GET`...). */
export function fabricsCommandTypeName(fctype: number): string {
  return FCTYPE_NAMES.get(fctype) ?? 'RESERVED / VENDOR SPECIFIC';
}

/** Byte offsets inside a Fabrics command SQE. */
export const FabricsSqeOffset = {
  FCTYPE: 4,
  SGL1: SqeOffset.DPTR,
  /** Connect, Disconnect: record format (16 bits). */
  RECFMT: 40,
  /** Connect: queue ID (16 bits). */
  QID: 42,
  /** Connect: submission queue size, 0-based (16 bits). */
  SQSIZE: 44,
  /** Connect: connect attributes (8 bits). */
  CATTR: 46,
  /** Connect: keep alive timeout in ms (32 bits). */
  KATO: 48,
  /** Property Get/Set: attributes, bits 2:0 give the size (8 bits). */
  ATTRIB: 40,
  /** Property Get/Set: register offset (32 bits). */
  OFST: 44,
  /** Property Set: the value (64 bits). */
  VALUE: 48,
  /** Authentication Send/Receive: SP specific 0 (8 bits). */
  SPSP0: 41,
  /** Authentication Send/Receive: SP specific 1 (8 bits). */
  SPSP1: 42,
  /** Authentication Send/Receive: security protocol (8 bits). */
  SECP: 43,
  /** Authentication Send: transfer length; Receive: allocation length (32 bits). */
  LENGTH: 44,
} as const;

/** Connect Attributes (CATTR) bits. */
export const ConnectAttribute = {
  /** Bits 1:0: priority class of an I/O queue. */
  PRIORITY_CLASS_MASK: 0x03,
  /** The host asks the controller to turn SQ flow control off (SQHD not reported). */
  DISABLE_SQ_FLOW_CONTROL: 0x04,
} as const;

/** Property Get/Set ATTRIB values (bits 2:0). */
export const PropertyAttribute = {
  SIZE_4: 0,
  SIZE_8: 1,
} as const;

/** The only Connect/Disconnect record format defined. */
export const CONNECT_RECFMT = 0;
export const CONNECT_DATA_SIZE = 1024;
/** Connect data CNTLID for an admin queue: any controller, allocated by the subsystem. */
export const CNTLID_DYNAMIC = 0xffff;
/** Connect data CNTLID for an admin queue of a static controller model: any controller. */
export const CNTLID_STATIC_ANY = 0xfffe;
/** The well-known NQN of a discovery subsystem. */
export const DISCOVERY_NQN = 'nqn.2014-08.org.nvmexpress.discovery';
/** Size of the NQN fields in Connect data (and the discovery log). */
export const NQN_FIELD_SIZE = 256;
/** Longest NQN the spec allows, in bytes, without the terminating NUL. */
export const NQN_MAX_LENGTH = 223;

/** Byte offsets in the Connect data. */
export const ConnectDataOffset = {
  HOSTID: 0,
  CNTLID: 16,
  SUBNQN: 256,
  HOSTNQN: 512,
} as const;

/** Host side of Connect. */
export interface ConnectSqeInit {
  cid: number;
  /** 0 for the admin queue. */
  qid: number;
  /** Submission queue size, 0-based (entries minus one), as on the wire. */
  sqsize: number;
  /** Connect attributes (`ConnectAttribute`); default 0. */
  cattr?: number;
  /** Keep alive timeout in ms (admin queue only; 0 = off). */
  kato?: number;
  /** Record format; default 0, the only one defined. */
  recfmt?: number;
}

export interface PropertyGetSqeInit {
  cid: number;
  /** Register offset (`Register.CAP`...). */
  offset: number;
  size: 4 | 8;
}

export interface PropertySetSqeInit extends PropertyGetSqeInit {
  value: bigint;
}

export interface DisconnectSqeInit {
  cid: number;
  recfmt?: number;
}

function startFabricsSqe(buf: Buffer, offset: number, cid: number, fctype: number): void {
  buf.fill(0, offset, offset + SQE_SIZE);
  buf.writeUInt8(FABRICS_OPCODE, offset + SqeOffset.OPC);
  buf.writeUInt16LE(cid, offset + SqeOffset.CID);
  buf.writeUInt8(fctype, offset + FabricsSqeOffset.FCTYPE);
}

function propertyAttrib(size: number): number {
  if (size === 4) return PropertyAttribute.SIZE_4;
  if (size === 8) return PropertyAttribute.SIZE_8;
  throw new RangeError(`property size must be 4 or 8, got ${size}`);
}

/** Writes a Connect SQE into `buf` at `offset` (all 64 bytes; PSDT and SGL1 left zero). */
export function encodeConnectSqe(buf: Buffer, init: ConnectSqeInit, offset = 0): Buffer {
  startFabricsSqe(buf, offset, init.cid, FabricsCommandType.CONNECT);
  buf.writeUInt16LE(init.recfmt ?? CONNECT_RECFMT, offset + FabricsSqeOffset.RECFMT);
  buf.writeUInt16LE(init.qid, offset + FabricsSqeOffset.QID);
  buf.writeUInt16LE(init.sqsize, offset + FabricsSqeOffset.SQSIZE);
  buf.writeUInt8(init.cattr ?? 0, offset + FabricsSqeOffset.CATTR);
  buf.writeUInt32LE(init.kato ?? 0, offset + FabricsSqeOffset.KATO);
  return buf;
}

/** Writes a Property Get SQE into `buf` at `offset`. */
export function encodePropertyGetSqe(buf: Buffer, init: PropertyGetSqeInit, offset = 0): Buffer {
  startFabricsSqe(buf, offset, init.cid, FabricsCommandType.PROPERTY_GET);
  buf.writeUInt8(propertyAttrib(init.size), offset + FabricsSqeOffset.ATTRIB);
  buf.writeUInt32LE(init.offset, offset + FabricsSqeOffset.OFST);
  return buf;
}

/** Writes a Property Set SQE into `buf` at `offset`. */
export function encodePropertySetSqe(buf: Buffer, init: PropertySetSqeInit, offset = 0): Buffer {
  startFabricsSqe(buf, offset, init.cid, FabricsCommandType.PROPERTY_SET);
  buf.writeUInt8(propertyAttrib(init.size), offset + FabricsSqeOffset.ATTRIB);
  buf.writeUInt32LE(init.offset, offset + FabricsSqeOffset.OFST);
  const value = init.size === 4 ? BigInt.asUintN(32, init.value) : BigInt.asUintN(64, init.value);
  buf.writeBigUInt64LE(value, offset + FabricsSqeOffset.VALUE);
  return buf;
}

/** Writes a Disconnect SQE (tears down the I/O queue it is sent on) into `buf` at `offset`. */
export function encodeDisconnectSqe(buf: Buffer, init: DisconnectSqeInit, offset = 0): Buffer {
  startFabricsSqe(buf, offset, init.cid, FabricsCommandType.DISCONNECT);
  buf.writeUInt16LE(init.recfmt ?? CONNECT_RECFMT, offset + FabricsSqeOffset.RECFMT);
  return buf;
}

export interface AuthenticationSqeInit {
  cid: number;
  /** Security protocol (0xe9 for NVMe in-band authentication). */
  secp: number;
  spsp0: number;
  spsp1: number;
  /** Transfer length (send) or allocation length (receive), in bytes. */
  length: number;
}

/** Writes an Authentication Send or Receive SQE into `buf` at `offset`. */
export function encodeAuthenticationSqe(
  buf: Buffer,
  fctype: typeof FabricsCommandType.AUTHENTICATION_SEND | typeof FabricsCommandType.AUTHENTICATION_RECEIVE,
  init: AuthenticationSqeInit,
  offset = 0,
): Buffer {
  startFabricsSqe(buf, offset, init.cid, fctype);
  buf.writeUInt8(init.spsp0, offset + FabricsSqeOffset.SPSP0);
  buf.writeUInt8(init.spsp1, offset + FabricsSqeOffset.SPSP1);
  buf.writeUInt8(init.secp, offset + FabricsSqeOffset.SECP);
  buf.writeUInt32LE(init.length, offset + FabricsSqeOffset.LENGTH);
  return buf;
}

export interface ConnectCommand {
  fctype: typeof FabricsCommandType.CONNECT;
  cid: number;
  /** Not checked here: a target answers a non-zero RECFMT with CONNECT_INCOMPATIBLE_FORMAT. */
  recfmt: number;
  qid: number;
  /** 0-based. */
  sqsize: number;
  cattr: number;
  /** Keep alive timeout in ms. */
  kato: number;
}

export interface PropertyGetCommand {
  fctype: typeof FabricsCommandType.PROPERTY_GET;
  cid: number;
  size: 4 | 8;
  offset: number;
}

export interface PropertySetCommand {
  fctype: typeof FabricsCommandType.PROPERTY_SET;
  cid: number;
  size: 4 | 8;
  offset: number;
  /** For 4-byte properties, only the low 32 bits of the field. */
  value: bigint;
}

export interface DisconnectCommand {
  fctype: typeof FabricsCommandType.DISCONNECT;
  cid: number;
  recfmt: number;
}

export interface AuthenticationCommand extends AuthenticationSqeInit {
  fctype: typeof FabricsCommandType.AUTHENTICATION_SEND | typeof FabricsCommandType.AUTHENTICATION_RECEIVE;
}

export type FabricsCommand =
  | ConnectCommand
  | PropertyGetCommand
  | PropertySetCommand
  | DisconnectCommand
  | AuthenticationCommand;

function decodePropertySize(sqe: Buffer, offset: number): 4 | 8 {
  const attrib = sqe.readUInt8(offset + FabricsSqeOffset.ATTRIB) & 0x7;
  if (attrib === PropertyAttribute.SIZE_4) return 4;
  if (attrib === PropertyAttribute.SIZE_8) return 8;
  throw new ProtocolError('attrib', attrib, 'property size must be 0 (4 bytes) or 1 (8 bytes)');
}

type Decoder = (sqe: Buffer, offset: number, cid: number) => FabricsCommand;

const DECODERS = new Map<number, Decoder>([
  [
    FabricsCommandType.CONNECT,
    (sqe, o, cid) => ({
      fctype: FabricsCommandType.CONNECT,
      cid,
      recfmt: sqe.readUInt16LE(o + FabricsSqeOffset.RECFMT),
      qid: sqe.readUInt16LE(o + FabricsSqeOffset.QID),
      sqsize: sqe.readUInt16LE(o + FabricsSqeOffset.SQSIZE),
      cattr: sqe.readUInt8(o + FabricsSqeOffset.CATTR),
      kato: sqe.readUInt32LE(o + FabricsSqeOffset.KATO),
    }),
  ],
  [
    FabricsCommandType.PROPERTY_GET,
    (sqe, o, cid) => ({
      fctype: FabricsCommandType.PROPERTY_GET,
      cid,
      size: decodePropertySize(sqe, o),
      offset: sqe.readUInt32LE(o + FabricsSqeOffset.OFST),
    }),
  ],
  [
    FabricsCommandType.PROPERTY_SET,
    (sqe, o, cid) => {
      const size = decodePropertySize(sqe, o);
      const raw = sqe.readBigUInt64LE(o + FabricsSqeOffset.VALUE);
      return {
        fctype: FabricsCommandType.PROPERTY_SET,
        cid,
        size,
        offset: sqe.readUInt32LE(o + FabricsSqeOffset.OFST),
        value: size === 4 ? BigInt.asUintN(32, raw) : raw,
      };
    },
  ],
  [
    FabricsCommandType.DISCONNECT,
    (sqe, o, cid) => ({
      fctype: FabricsCommandType.DISCONNECT,
      cid,
      recfmt: sqe.readUInt16LE(o + FabricsSqeOffset.RECFMT),
    }),
  ],
  ...[FabricsCommandType.AUTHENTICATION_SEND, FabricsCommandType.AUTHENTICATION_RECEIVE].map(
    (fctype): [number, Decoder] => [
      fctype,
      (sqe, o, cid) => ({
        fctype,
        cid,
        secp: sqe.readUInt8(o + FabricsSqeOffset.SECP),
        spsp0: sqe.readUInt8(o + FabricsSqeOffset.SPSP0),
        spsp1: sqe.readUInt8(o + FabricsSqeOffset.SPSP1),
        length: sqe.readUInt32LE(o + FabricsSqeOffset.LENGTH),
      }),
    ],
  ),
]);

/**
 * Decodes the Fabrics command in `sqe` at `offset` (target side).
 * @throws ProtocolError for a non-Fabrics opcode, an unknown FCTYPE or a bad property size
 */
export function decodeFabricsSqe(sqe: Buffer, offset = 0): FabricsCommand {
  if (sqe.length - offset < SQE_SIZE) {
    throw new ProtocolError('sqe', sqe.length - offset, `a Fabrics command needs ${SQE_SIZE} bytes`);
  }
  const opc = sqe.readUInt8(offset + SqeOffset.OPC);
  if (opc !== FABRICS_OPCODE) throw new ProtocolError('opc', opc, `expected the Fabrics opcode 0x7f`);
  const fctype = sqe.readUInt8(offset + FabricsSqeOffset.FCTYPE);
  const decode = DECODERS.get(fctype);
  if (!decode) throw new ProtocolError('fctype', fctype, 'not a Fabrics command type this target knows');
  return decode(sqe, offset, sqe.readUInt16LE(offset + SqeOffset.CID));
}

/** Writes any decoded Fabrics command back into an SQE: the inverse of `decodeFabricsSqe`. */
export function encodeFabricsSqe(buf: Buffer, cmd: FabricsCommand, offset = 0): Buffer {
  switch (cmd.fctype) {
    case FabricsCommandType.CONNECT:
      return encodeConnectSqe(buf, cmd, offset);
    case FabricsCommandType.PROPERTY_GET:
      return encodePropertyGetSqe(buf, cmd, offset);
    case FabricsCommandType.PROPERTY_SET:
      return encodePropertySetSqe(buf, cmd, offset);
    case FabricsCommandType.DISCONNECT:
      return encodeDisconnectSqe(buf, cmd, offset);
    default:
      return encodeAuthenticationSqe(buf, cmd.fctype, cmd, offset);
  }
}

/** The Connect data (host to controller, 1024 bytes). */
export interface ConnectData {
  /** Host identifier: a UUID string (`6b1f5a3e-...`) or its 16 bytes. Decoded as a lowercase UUID string. */
  hostid: string | Uint8Array;
  /** `CNTLID_DYNAMIC` for an admin queue; the controller's CNTLID for an I/O queue. */
  cntlid: number;
  subnqn: string;
  hostnqn: string;
}

export interface DecodedConnectData extends ConnectData {
  hostid: string;
}

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The 16 bytes of a UUID string, in the order they are written (RFC 4122 network order). */
export function parseUuid(uuid: string, key = 'uuid'): Buffer {
  if (!UUID_RE.test(uuid)) throw new ConfigError(key, `expected a UUID like 6b1f5a3e-2f0e-4a63-9d8e-0c4c2c1b7d10, got '${uuid}'`);
  return Buffer.from(uuid.replace(/-/g, ''), 'hex');
}

function writeNqn(buf: Buffer, at: number, nqn: string, key: string): void {
  const bytes = Buffer.from(nqn, 'utf8');
  // Empty is allowed: spdk_nvme_perf sends an empty HOSTNQN unless given one.
  if (bytes.length > NQN_MAX_LENGTH) {
    throw new ConfigError(key, `an NQN is at most ${NQN_MAX_LENGTH} bytes, got ${bytes.length}`);
  }
  if (bytes.includes(0)) throw new ConfigError(key, 'an NQN cannot contain a NUL byte');
  bytes.copy(buf, at);
}

function readNqn(buf: Buffer, at: number, field: string): string {
  const end = buf.indexOf(0, at);
  if (end < 0 || end >= at + NQN_FIELD_SIZE) {
    throw new ProtocolError(field, '(unterminated)', `expected a NUL-terminated NQN within ${NQN_FIELD_SIZE} bytes`);
  }
  if (end - at > NQN_MAX_LENGTH) {
    throw new ProtocolError(field, end - at, `an NQN is at most ${NQN_MAX_LENGTH} bytes`);
  }
  return buf.toString('utf8', at, end);
}

/** Builds the 1024-byte Connect data. */
export function encodeConnectData(data: ConnectData, buf: Buffer = Buffer.alloc(CONNECT_DATA_SIZE), offset = 0): Buffer {
  const hostid = typeof data.hostid === 'string' ? parseUuid(data.hostid, 'hostid') : data.hostid;
  if (hostid.length !== 16) throw new ConfigError('hostid', `expected 16 bytes, got ${hostid.length}`);
  buf.fill(0, offset, offset + CONNECT_DATA_SIZE);
  buf.set(hostid, offset + ConnectDataOffset.HOSTID);
  buf.writeUInt16LE(data.cntlid, offset + ConnectDataOffset.CNTLID);
  writeNqn(buf, offset + ConnectDataOffset.SUBNQN, data.subnqn, 'subnqn');
  writeNqn(buf, offset + ConnectDataOffset.HOSTNQN, data.hostnqn, 'hostnqn');
  return buf;
}

/**
 * Reads the Connect data at `offset` of `buf`.
 * @throws ProtocolError when the data is short or an NQN is unterminated or too long
 */
export function decodeConnectData(buf: Buffer, offset = 0): DecodedConnectData {
  if (buf.length - offset < CONNECT_DATA_SIZE) {
    throw new ProtocolError('connect-data', buf.length - offset, `expected ${CONNECT_DATA_SIZE} bytes`);
  }
  return {
    hostid: formatUuid(buf.subarray(offset + ConnectDataOffset.HOSTID, offset + ConnectDataOffset.HOSTID + 16)),
    cntlid: buf.readUInt16LE(offset + ConnectDataOffset.CNTLID),
    subnqn: readNqn(buf, offset + ConnectDataOffset.SUBNQN, 'subnqn'),
    hostnqn: readNqn(buf, offset + ConnectDataOffset.HOSTNQN, 'hostnqn'),
  };
}

/** AUTHREQ bits of a successful Connect response (dword 0 bits 31:16). */
export const ConnectAuthRequest = {
  /** Authentication transaction required. */
  ATR: 0x2,
  /** Secure channel concatenation required. */
  ASCR: 0x4,
} as const;

export interface ConnectResponse {
  /** The controller the queue now belongs to. */
  cntlid: number;
  /** Authentication requirements (`ConnectAuthRequest`); 0 when none. */
  authreq: number;
}

/** Decodes dword 0 of a successful Connect completion. */
export function decodeConnectResponse(cdw0: number): ConnectResponse {
  return { cntlid: cdw0 & 0xffff, authreq: cdw0 >>> 16 };
}

/** Dword 0 of a successful Connect completion. */
export function encodeConnectResponse(resp: ConnectResponse): number {
  return ((resp.authreq << 16) | (resp.cntlid & 0xffff)) >>> 0;
}

/** Where a CONNECT_INVALID_PARAMETERS completion points. */
export interface ConnectInvalidParameter {
  /** True: the byte offset is in the Connect data; false: in the SQE. */
  inData: boolean;
  /** Byte offset of the offending field (`ConnectDataOffset` / `FabricsSqeOffset`). */
  offset: number;
}

/** Dword 0 of a CONNECT_INVALID_PARAMETERS completion: IPO in bits 15:0, IATTR bit 0 in bit 16. */
export function connectInvalidParameterCdw0(inData: boolean, offset: number): number {
  return ((inData ? 1 << 16 : 0) | (offset & 0xffff)) >>> 0;
}

/** Reads dword 0 of a CONNECT_INVALID_PARAMETERS completion. */
export function decodeConnectInvalidParameter(cdw0: number): ConnectInvalidParameter {
  return { inData: ((cdw0 >>> 16) & 1) === 1, offset: cdw0 & 0xffff };
}

/** Connect command fields a controller may reject, by their spec names. */
export type ConnectCommandParameter = 'recfmt' | 'qid' | 'sqsize' | 'cattr' | 'kato';
/** Connect data fields a controller may reject, by their spec names. */
export type ConnectDataParameter = 'hostid' | 'cntlid' | 'subnqn' | 'hostnqn';
export type ConnectParameter = ConnectCommandParameter | ConnectDataParameter;

const CONNECT_COMMAND_PARAMETERS = new Map<number, ConnectCommandParameter>([
  [FabricsSqeOffset.RECFMT, 'recfmt'],
  [FabricsSqeOffset.QID, 'qid'],
  [FabricsSqeOffset.SQSIZE, 'sqsize'],
  [FabricsSqeOffset.CATTR, 'cattr'],
  [FabricsSqeOffset.KATO, 'kato'],
]);
const CONNECT_DATA_PARAMETERS = new Map<number, ConnectDataParameter>([
  [ConnectDataOffset.HOSTID, 'hostid'],
  [ConnectDataOffset.CNTLID, 'cntlid'],
  [ConnectDataOffset.SUBNQN, 'subnqn'],
  [ConnectDataOffset.HOSTNQN, 'hostnqn'],
]);
const DATA_PARAMETER_NAMES: ReadonlySet<ConnectParameter> = new Set(CONNECT_DATA_PARAMETERS.values());

/** The field an IATTR/IPO pair points at, or undefined when the offset starts no Connect field. */
export function connectParameterAt(p: ConnectInvalidParameter): ConnectParameter | undefined {
  return (p.inData ? CONNECT_DATA_PARAMETERS : CONNECT_COMMAND_PARAMETERS).get(p.offset);
}

/** True for a field of the Connect data, false for one of the Connect command (SQE). */
export function isConnectDataParameter(p: ConnectParameter): p is ConnectDataParameter {
  return DATA_PARAMETER_NAMES.has(p);
}

/** Property Get returns its value in CQE dwords 0 and 1 (low, high). */
export function propertyValueFromCqe(cdw0: number, cdw1: number, size: 4 | 8): bigint {
  const low = BigInt(cdw0 >>> 0);
  return size === 4 ? low : (BigInt(cdw1 >>> 0) << 32n) | low;
}

/** Splits a Property Get value into CQE dwords 0 and 1 (target side). */
export function propertyValueToCqe(value: bigint): { cdw0: number; cdw1: number } {
  return { cdw0: Number(value & 0xffffffffn), cdw1: Number((value >> 32n) & 0xffffffffn) };
}

/** The data direction of any command: opcode bits 1:0, or FCTYPE bits 1:0 for a Fabrics command. */
export function commandDataDirection(sqe: Uint8Array): DataDirection {
  const opc = sqe[SqeOffset.OPC]!;
  return dataDirectionOf(opc === FABRICS_OPCODE ? sqe[FabricsSqeOffset.FCTYPE]! : opc);
}
