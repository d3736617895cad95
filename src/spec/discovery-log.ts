/**
 * Discovery Log Page (Get Log Page LID 70h), NVMe over Fabrics spec
 * "Discovery Log Page": a 1024-byte header followed by NUMREC 1024-byte
 * entries. A host reads the header first, learns NUMREC, then reads the whole
 * page and checks GENCTR did not move in between.
 */
import { ProtocolError } from './errors.js';
import { defineLayout, readFields, requireLength, writeFields, type FieldsOf, type TextPadding } from './field-layout.js';

export const DISCOVERY_LOG_HEADER_SIZE = 1024;
export const DISCOVERY_LOG_ENTRY_SIZE = 1024;

/** Header layout. */
export const DISCOVERY_LOG_HEADER_FIELDS = defineLayout('DiscoveryLogHeader', DISCOVERY_LOG_HEADER_SIZE, [
  /** Generation counter: changes whenever the log changes. */
  { key: 'genctr', offset: 0, size: 8, kind: 'u64' },
  { key: 'numrec', offset: 8, size: 8, kind: 'u64' },
  /** Record format; 0 is the only one defined. */
  { key: 'recfmt', offset: 16, size: 2, kind: 'u16' },
] as const);

/** Entry layout up to the Transport Specific Address Subtype (TSAS, bytes 768..1023). */
export const DISCOVERY_LOG_ENTRY_FIELDS = defineLayout('DiscoveryLogEntry', DISCOVERY_LOG_ENTRY_SIZE, [
  { key: 'trtype', offset: 0, size: 1, kind: 'u8' },
  { key: 'adrfam', offset: 1, size: 1, kind: 'u8' },
  { key: 'subtype', offset: 2, size: 1, kind: 'u8' },
  { key: 'treq', offset: 3, size: 1, kind: 'u8' },
  { key: 'portid', offset: 4, size: 2, kind: 'u16' },
  { key: 'cntlid', offset: 6, size: 2, kind: 'u16' },
  /** Admin Max SQ Size. */
  { key: 'asqsz', offset: 8, size: 2, kind: 'u16' },
  { key: 'eflags', offset: 10, size: 2, kind: 'u16' },
  { key: 'trsvcid', offset: 32, size: 32, kind: 'text' },
  { key: 'subnqn', offset: 256, size: 256, kind: 'cstring' },
  { key: 'traddr', offset: 512, size: 256, kind: 'text' },
] as const);

export const TSAS_OFFSET = 768;
export const TSAS_SIZE = 256;

/** TSAS for NVMe/TCP. */
export const TCP_TSAS_FIELDS = defineLayout('TcpTsas', TSAS_SIZE, [
  /** Security type, see {@link TcpSecType}. */
  { key: 'sectype', offset: 0, size: 1, kind: 'u8' },
] as const);

/** TSAS for RDMA. */
export const RDMA_TSAS_FIELDS = defineLayout('RdmaTsas', TSAS_SIZE, [
  { key: 'rdma_qptype', offset: 0, size: 1, kind: 'u8' },
  { key: 'rdma_prtype', offset: 1, size: 1, kind: 'u8' },
  { key: 'rdma_cms', offset: 2, size: 1, kind: 'u8' },
  { key: 'rdma_pkey', offset: 8, size: 2, kind: 'u16' },
] as const);

export type TcpTsas = FieldsOf<typeof TCP_TSAS_FIELDS>;
export type RdmaTsas = FieldsOf<typeof RDMA_TSAS_FIELDS>;
/** TSAS of a transport without a defined layout here: the 256 bytes as hex. */
export interface RawTsas {
  raw: string;
}

export type DiscoveryLogHeader = FieldsOf<typeof DISCOVERY_LOG_HEADER_FIELDS>;

/** One Discovery Log Page entry; TRSVCID and TRADDR without padding. */
export interface DiscoveryLogEntry extends FieldsOf<typeof DISCOVERY_LOG_ENTRY_FIELDS> {
  /** Decoded by TRTYPE: {@link TcpTsas} for TCP, {@link RdmaTsas} for RDMA, else {@link RawTsas}. */
  tsas: TcpTsas | RdmaTsas | RawTsas;
}

/** A parsed Discovery Log Page. */
export interface DiscoveryLog {
  genctr: bigint;
  /** Records the header announces; more than `entries` holds when the reader capped the count. */
  numrec: number;
  recfmt: number;
  entries: DiscoveryLogEntry[];
}

/** Transport Type (TRTYPE). */
export const DiscTrType = {
  RDMA: 1,
  FC: 2,
  TCP: 3,
  /** Linux calls it "loop". */
  INTRA_HOST: 254,
} as const;

/** Address Family (ADRFAM). */
export const DiscAdrFam = {
  IPV4: 1,
  IPV6: 2,
  IB: 3,
  FC: 4,
  INTRA_HOST: 254,
} as const;

/** TRTYPE values by name, as SPDK prints them (`spdk_nvme_transport_id_trtype_str`) and transport IDs spell them. */
const TRTYPE_BY_NAME = { RDMA: DiscTrType.RDMA, FC: DiscTrType.FC, TCP: DiscTrType.TCP, INTRA_HOST: DiscTrType.INTRA_HOST } as const;
/** ADRFAM values by name, as SPDK prints them (`spdk_nvme_transport_id_adrfam_str`). */
const ADRFAM_BY_NAME = {
  IPv4: DiscAdrFam.IPV4,
  IPv6: DiscAdrFam.IPV6,
  IB: DiscAdrFam.IB,
  FC: DiscAdrFam.FC,
  INTRA_HOST: DiscAdrFam.INTRA_HOST,
} as const;

export type DiscTrTypeName = keyof typeof TRTYPE_BY_NAME;
export type DiscAdrFamName = keyof typeof ADRFAM_BY_NAME;

function namesOf<N extends string>(byName: Readonly<Record<N, number>>): ReadonlyMap<number, N> {
  return new Map(Object.entries(byName).map(([name, code]) => [code as number, name as N]));
}
const TRTYPE_NAMES = namesOf(TRTYPE_BY_NAME);
const ADRFAM_NAMES = namesOf(ADRFAM_BY_NAME);

/** The TRTYPE of a transport named as SPDK spells it (`TCP`). */
export function discTrTypeCode(name: DiscTrTypeName): number {
  return TRTYPE_BY_NAME[name];
}

/** SPDK's name of a TRTYPE value (`TCP`), or undefined for one without a name. */
export function discTrTypeName(trtype: number): DiscTrTypeName | undefined {
  return TRTYPE_NAMES.get(trtype);
}

/** The ADRFAM of an address family named as SPDK spells it (`IPv4`). */
export function discAdrFamCode(name: DiscAdrFamName): number {
  return ADRFAM_BY_NAME[name];
}

/** SPDK's name of an ADRFAM value (`IPv4`), or undefined for one without a name. */
export function discAdrFamName(adrfam: number): DiscAdrFamName | undefined {
  return ADRFAM_NAMES.get(adrfam);
}

/** Subsystem Type (SUBTYPE). */
export const DiscSubType = {
  /** A referral to another discovery service. */
  REFERRAL: 1,
  NVME: 2,
  /** The discovery subsystem that returned this log. */
  CURRENT_DISCOVERY: 3,
} as const;

/** Transport Requirements (TREQ). Bits 1:0 are the secure channel requirement. */
export const Treq = {
  SECURE_CHANNEL_MASK: 0x03,
  SECURE_CHANNEL_NOT_SPECIFIED: 0x00,
  SECURE_CHANNEL_REQUIRED: 0x01,
  SECURE_CHANNEL_NOT_REQUIRED: 0x02,
  /** The controller lets the host disable SQ flow control. */
  SQ_FLOW_CONTROL_DISABLE: 0x04,
} as const;

/** Entry Flags (EFLAGS). */
export const Eflags = {
  /** Duplicate Returned Information. */
  DUPRETINFO: 0x1,
  /** Explicit Persistent Connection Support for Discovery. */
  EPCSD: 0x2,
  /** No CDC Connectivity. */
  NCC: 0x4,
} as const;

/** NVMe/TCP Security Type (TSAS.SECTYPE). */
export const TcpSecType = {
  NONE: 0,
  TLS12: 1,
  TLS13: 2,
} as const;

/** RDMA QP service type. */
export const RdmaQpType = { RELIABLE_CONNECTED: 1, RELIABLE_DATAGRAM: 2 } as const;
/** RDMA provider type. */
export const RdmaPrType = { NONE: 1, IB: 2, ROCE: 3, ROCE2: 4, IWARP: 5 } as const;
/** RDMA connection management service. */
export const RdmaCms = { RDMA_CM: 1 } as const;

/** Bytes in a page carrying `numrec` entries. */
export function discoveryLogSize(numrec: number): number {
  return DISCOVERY_LOG_HEADER_SIZE + numrec * DISCOVERY_LOG_ENTRY_SIZE;
}

/** Parses the header from the first 1024 (or more) bytes of the page. */
export function parseDiscoveryLogHeader(buf: Uint8Array): DiscoveryLogHeader {
  requireLength('Discovery Log Page header', buf, DISCOVERY_LOG_HEADER_SIZE);
  return readFields(DISCOVERY_LOG_HEADER_FIELDS, buf);
}

/** NUMREC from a header, as a number (a page with 2^53 entries is not a thing). */
export function discoveryLogHeaderNumrec(buf: Uint8Array): number {
  const { numrec } = parseDiscoveryLogHeader(buf);
  if (numrec > BigInt(Number.MAX_SAFE_INTEGER)) {
    throw new ProtocolError('numrec', numrec, 'expected a plausible number of discovery log records');
  }
  return Number(numrec);
}

/** GENCTR from a header, for the host's "did the log change while I read it" check. */
export function discoveryLogHeaderGenctr(buf: Uint8Array): bigint {
  return parseDiscoveryLogHeader(buf).genctr;
}

function tsasTable(trtype: number): typeof TCP_TSAS_FIELDS | typeof RDMA_TSAS_FIELDS | undefined {
  if (trtype === DiscTrType.TCP) return TCP_TSAS_FIELDS;
  if (trtype === DiscTrType.RDMA) return RDMA_TSAS_FIELDS;
  return undefined;
}

/** Parses one 1024-byte entry at `offset` of `buf`. */
export function parseDiscoveryLogEntry(buf: Uint8Array, offset = 0): DiscoveryLogEntry {
  const fields = readFields(DISCOVERY_LOG_ENTRY_FIELDS, buf, offset);
  const table = tsasTable(fields.trtype);
  const tsasAt = offset + TSAS_OFFSET;
  const tsas = table
    ? readFields(table, buf, tsasAt)
    : { raw: Buffer.from(buf.buffer, buf.byteOffset + tsasAt, TSAS_SIZE).toString('hex') };
  return { ...fields, tsas };
}

/**
 * Parses a whole Discovery Log Page. `buf` must hold every one of the NUMREC
 * entries the header announces; a host that read fewer (SPDK caps at 1000)
 * passes `maxEntries`.
 */
export function parseDiscoveryLog(buf: Uint8Array, maxEntries = Infinity): DiscoveryLog {
  const header = parseDiscoveryLogHeader(buf);
  if (header.recfmt !== 0) throw new ProtocolError('recfmt', header.recfmt, 'expected record format 0');
  const numrec = discoveryLogHeaderNumrec(buf);
  const count = Math.min(numrec, maxEntries);
  requireLength(`Discovery Log Page with ${count} records`, buf, discoveryLogSize(count));
  const entries: DiscoveryLogEntry[] = [];
  for (let i = 0; i < count; i++) entries.push(parseDiscoveryLogEntry(buf, discoveryLogSize(i)));
  return { genctr: header.genctr, numrec, recfmt: header.recfmt, entries };
}

/** Options for {@link buildDiscoveryLog}. */
export interface BuildDiscoveryLogOptions {
  /** How TRSVCID and TRADDR are padded: SPDK uses spaces, Linux nvmet NULs. Default: spaces. */
  textPadding?: TextPadding;
}

/** Builds a Discovery Log Page: header plus one 1024-byte record per entry (NUMREC = entries.length). */
export function buildDiscoveryLog(
  log: { genctr: bigint; recfmt?: number; entries: DiscoveryLogEntry[] },
  options: BuildDiscoveryLogOptions = {},
): Buffer {
  const buf = Buffer.alloc(discoveryLogSize(log.entries.length));
  writeFields(DISCOVERY_LOG_HEADER_FIELDS, { genctr: log.genctr, numrec: BigInt(log.entries.length), recfmt: log.recfmt ?? 0 }, buf);
  log.entries.forEach((e, i) => writeDiscoveryLogEntry(e, buf, discoveryLogSize(i), options.textPadding));
  return buf;
}

/** Writes one entry into a zeroed 1024-byte region of `buf` at `offset`. */
export function writeDiscoveryLogEntry(
  entry: DiscoveryLogEntry,
  buf: Uint8Array,
  offset: number,
  textPadding: TextPadding = 'space',
): void {
  writeFields(DISCOVERY_LOG_ENTRY_FIELDS, entry, buf, offset, textPadding);
  const at = offset + TSAS_OFFSET;
  if ('raw' in entry.tsas) {
    Buffer.from(entry.tsas.raw, 'hex').copy(Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength), at);
    return;
  }
  const table = tsasTable(entry.trtype);
  if (!table) throw new RangeError(`tsas: trtype ${entry.trtype} has no decoded TSAS layout; give { raw }`);
  writeFields(table, entry.tsas as FieldsOf<typeof table>, buf, at);
}
