/**
 * Namespace lists returned by Identify: the Active Namespace ID list (CNS 02h)
 * and the Namespace Identification Descriptor list (CNS 03h).
 */
import { ProtocolError } from './errors.js';
import { formatUuid, hexToBytes, requireLength } from './field-layout.js';
import { IDENTIFY_DATA_SIZE } from './identify.js';

/** A namespace ID list holds at most this many NSIDs (4096 bytes of u32). */
export const NSID_LIST_MAX = IDENTIFY_DATA_SIZE / 4;

/**
 * Parses a list of NSIDs (Active Namespace ID list, Changed Namespace List log):
 * u32 entries in increasing order, ended by the first zero or the end of the buffer.
 */
export function parseNsidList(buf: Uint8Array): number[] {
  const b = Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength);
  const out: number[] = [];
  for (let off = 0; off + 4 <= b.length; off += 4) {
    const nsid = b.readUInt32LE(off);
    if (nsid === 0) break;
    out.push(nsid);
  }
  return out;
}

/** Builds a 4096-byte NSID list, zero-filled after the last entry. */
export function buildNsidList(nsids: readonly number[]): Buffer {
  if (nsids.length > NSID_LIST_MAX) throw new RangeError(`nsids: at most ${NSID_LIST_MAX} entries, got ${nsids.length}`);
  const buf = Buffer.alloc(IDENTIFY_DATA_SIZE);
  nsids.forEach((nsid, i) => {
    if (!Number.isInteger(nsid) || nsid <= 0 || nsid > 0xffffffff) throw new RangeError(`nsids[${i}]: ${nsid} is not a valid NSID`);
    buf.writeUInt32LE(nsid, i * 4);
  });
  return buf;
}

/** Parses an Active Namespace ID list (Identify CNS 02h). */
export const parseActiveNamespaceList = parseNsidList;
/** Builds an Active Namespace ID list (Identify CNS 02h): NSIDs greater than the CNS 02h NSID, increasing. */
export const buildActiveNamespaceList = buildNsidList;

/** Namespace Identifier Type (NIDT). */
export const Nidt = {
  EUI64: 1,
  NGUID: 2,
  UUID: 3,
  CSI: 4,
} as const;

/** The length (NIDL) the spec fixes for each NIDT. */
const NIDL: Readonly<Record<number, number>> = { [Nidt.EUI64]: 8, [Nidt.NGUID]: 16, [Nidt.UUID]: 16, [Nidt.CSI]: 1 };

/** One descriptor as it is on the wire; `value` is the NIDL bytes. */
export interface NamespaceIdDescriptor {
  nidt: number;
  nidl: number;
  value: Uint8Array;
}

/**
 * The descriptors decoded by type. EUI64 and NGUID are lowercase hex (as
 * nvme-cli prints them), UUID is lowercase with dashes (as SPDK prints it).
 */
export interface NamespaceIds {
  eui64?: string;
  nguid?: string;
  uuid?: string;
  csi?: number;
}

const DESCRIPTOR_HEADER_SIZE = 4;

/** Walks the raw descriptors until a zero NIDT or the end of the page. */
export function parseNamespaceIdDescriptors(buf: Uint8Array): NamespaceIdDescriptor[] {
  requireLength('Namespace Identification Descriptor list', buf, DESCRIPTOR_HEADER_SIZE);
  const out: NamespaceIdDescriptor[] = [];
  let off = 0;
  while (off + DESCRIPTOR_HEADER_SIZE <= buf.length) {
    const nidt = buf[off]!;
    const nidl = buf[off + 1]!;
    if (nidt === 0) break;
    const end = off + DESCRIPTOR_HEADER_SIZE + nidl;
    if (end > buf.length) throw new ProtocolError('nidl', nidl, `descriptor at byte ${off} runs past the end of the list`);
    out.push({ nidt, nidl, value: Uint8Array.prototype.slice.call(buf, off + DESCRIPTOR_HEADER_SIZE, end) });
    off = end;
  }
  return out;
}

/** Decodes the descriptors a host cares about; unknown NIDTs are skipped, a wrong NIDL is a protocol error. */
export function parseNamespaceIds(buf: Uint8Array): NamespaceIds {
  const ids: NamespaceIds = {};
  for (const d of parseNamespaceIdDescriptors(buf)) {
    const want = NIDL[d.nidt];
    if (want === undefined) continue;
    if (d.nidl !== want) throw new ProtocolError('nidl', d.nidl, `NIDT ${d.nidt} needs length ${want}`);
    const hex = Buffer.from(d.value).toString('hex');
    if (d.nidt === Nidt.EUI64) ids.eui64 = hex;
    else if (d.nidt === Nidt.NGUID) ids.nguid = hex;
    else if (d.nidt === Nidt.UUID) ids.uuid = formatUuid(d.value);
    else ids.csi = d.value[0]!;
  }
  return ids;
}

/** Builds the 4096-byte descriptor list: EUI64, NGUID, UUID, CSI, in NIDT order, for the IDs given. */
export function buildNamespaceIds(ids: NamespaceIds): Buffer {
  const buf = Buffer.alloc(IDENTIFY_DATA_SIZE);
  const values: [number, Buffer | undefined][] = [
    [Nidt.EUI64, ids.eui64 === undefined ? undefined : hexToBytes(ids.eui64, 8, 'eui64')],
    [Nidt.NGUID, ids.nguid === undefined ? undefined : hexToBytes(ids.nguid, 16, 'nguid')],
    [Nidt.UUID, ids.uuid === undefined ? undefined : hexToBytes(ids.uuid, 16, 'uuid')],
    [Nidt.CSI, ids.csi === undefined ? undefined : Buffer.from([ids.csi])],
  ];
  let off = 0;
  for (const [nidt, value] of values) {
    if (!value) continue;
    buf[off] = nidt;
    buf[off + 1] = value.length;
    value.copy(buf, off + DESCRIPTOR_HEADER_SIZE);
    off += DESCRIPTOR_HEADER_SIZE + value.length;
  }
  return buf;
}
