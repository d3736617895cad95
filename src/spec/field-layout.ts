/**
 * Table-driven codec for fixed-layout little-endian structures (Identify data,
 * log pages, discovery log entries). One table of {key, offset, size, kind}
 * drives both parse and build, so the two can never disagree about a layout.
 */
import { ProtocolError } from './errors.js';

/**
 * How a field's bytes map to a JavaScript value.
 * - `u8` `u16` `u24` `u32`: unsigned little-endian integer, as a number.
 * - `u64` `u128`: unsigned little-endian integer, as a bigint.
 * - `bits`: `width` bits starting at bit `shift` of one byte (fields sharing a byte are OR'ed on build).
 * - `ascii`: space-padded ASCII (NVMe "ASCII string"); trailing spaces dropped on parse, restored on build.
 * - `cstring`: NUL-padded string (NQNs); read up to the first NUL, NUL-padded on build.
 * - `text`: string padded with spaces by some peers and NULs by others (discovery TRSVCID/TRADDR);
 *   padding of either kind dropped on parse, the caller's choice of padding on build.
 * - `hex`: raw bytes as lowercase hex in wire order (EUI64, NGUID).
 * - `uuid`: 16 bytes as a lowercase RFC 4122 string with dashes.
 */
export type FieldKind =
  | 'u8'
  | 'u16'
  | 'u24'
  | 'u32'
  | 'u64'
  | 'u128'
  | 'bits'
  | 'ascii'
  | 'cstring'
  | 'text'
  | 'hex'
  | 'uuid';

/** One field of a fixed layout. */
export interface FieldSpec {
  readonly key: string;
  /** Byte offset from the start of the structure. */
  readonly offset: number;
  /** Size in bytes (1 for `bits`). */
  readonly size: number;
  readonly kind: FieldKind;
  /** `bits` only: lowest bit of the field within its byte. */
  readonly shift?: number;
  /** `bits` only: number of bits. */
  readonly width?: number;
}

interface KindValue {
  u8: number;
  u16: number;
  u24: number;
  u32: number;
  u64: bigint;
  u128: bigint;
  bits: number;
  ascii: string;
  cstring: string;
  text: string;
  hex: string;
  uuid: string;
}

/** The object type a field table parses to. */
export type FieldsOf<T extends readonly FieldSpec[]> = {
  -readonly [F in T[number] as F['key']]: KindValue[F['kind']];
};

const INT_SIZES: Partial<Record<FieldKind, number>> = { u8: 1, u16: 2, u24: 3, u32: 4, u64: 8, u128: 16, bits: 1 };

/**
 * Checks a table once at module load: integer sizes match their kind, fields
 * stay inside `structSize`, and whole-byte fields do not overlap. A layout typo
 * then fails every test instead of corrupting one field.
 */
export function defineLayout<const T extends readonly FieldSpec[]>(name: string, structSize: number, fields: T): T {
  const owner = new Array<string | undefined>(structSize);
  for (const f of fields) {
    const intSize = INT_SIZES[f.kind];
    if (intSize !== undefined && intSize !== f.size) {
      throw new Error(`${name}.${f.key}: kind ${f.kind} needs size ${intSize}, got ${f.size}`);
    }
    if (f.offset < 0 || f.offset + f.size > structSize) {
      throw new Error(`${name}.${f.key}: bytes ${f.offset}..${f.offset + f.size - 1} outside ${structSize}-byte structure`);
    }
    if (f.kind === 'bits') continue;
    for (let i = f.offset; i < f.offset + f.size; i++) {
      if (owner[i] !== undefined) throw new Error(`${name}.${f.key}: byte ${i} already belongs to ${owner[i]}`);
      owner[i] = f.key;
    }
  }
  return fields;
}

function view(buf: Uint8Array): Buffer {
  return Buffer.isBuffer(buf) ? buf : Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength);
}

function readUint(b: Buffer, off: number, size: number): bigint {
  let v = 0n;
  for (let i = size - 1; i >= 0; i--) v = (v << 8n) | BigInt(b[off + i]!);
  return v;
}

function writeUint(b: Buffer, off: number, size: number, value: bigint, key: string): void {
  if (value < 0n || value >> BigInt(size * 8) !== 0n) {
    throw new RangeError(`${key}: ${value} does not fit in ${size} bytes`);
  }
  let v = value;
  for (let i = 0; i < size; i++) {
    b[off + i] = Number(v & 0xffn);
    v >>= 8n;
  }
}

/** Formats 16 bytes as `xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx`. */
export function formatUuid(bytes: Uint8Array): string {
  const h = Buffer.from(bytes.buffer, bytes.byteOffset, 16).toString('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

/** Bytes from a hex string (dashes allowed, as in UUIDs); a RangeError names `key` when it is not `size` bytes. */
export function hexToBytes(text: string, size: number, key: string): Buffer {
  const clean = text.replace(/-/g, '');
  if (!/^[0-9a-fA-F]*$/.test(clean) || clean.length !== size * 2) {
    throw new RangeError(`${key}: expected ${size * 2} hex digits, got '${text}'`);
  }
  return Buffer.from(clean, 'hex');
}

function readField(b: Buffer, base: number, f: FieldSpec): unknown {
  const off = base + f.offset;
  switch (f.kind) {
    case 'u8':
      return b[off]!;
    case 'u16':
      return b.readUInt16LE(off);
    case 'u24':
      return b.readUIntLE(off, 3);
    case 'u32':
      return b.readUInt32LE(off);
    case 'u64':
    case 'u128':
      return readUint(b, off, f.size);
    case 'bits':
      return (b[off]! >> (f.shift ?? 0)) & ((1 << (f.width ?? 8)) - 1);
    case 'ascii':
      return b.toString('latin1', off, off + f.size).replace(/ +$/, '');
    case 'cstring': {
      const nul = b.indexOf(0, off);
      return b.toString('latin1', off, nul >= 0 && nul < off + f.size ? nul : off + f.size);
    }
    case 'text':
      return b.toString('latin1', off, off + f.size).replace(/[ \0]+$/, '');
    case 'hex':
      return b.toString('hex', off, off + f.size);
    case 'uuid':
      return formatUuid(b.subarray(off, off + 16));
  }
}

function writeField(b: Buffer, base: number, f: FieldSpec, value: unknown, textPad: number): void {
  const off = base + f.offset;
  switch (f.kind) {
    case 'u8':
    case 'u16':
    case 'u24':
    case 'u32':
      if (typeof value !== 'number' || !Number.isInteger(value)) {
        throw new TypeError(`${f.key}: expected an integer, got ${String(value)}`);
      }
      writeUint(b, off, f.size, BigInt(value), f.key);
      return;
    case 'u64':
    case 'u128':
      writeUint(b, off, f.size, BigInt(value as bigint | number), f.key);
      return;
    case 'bits': {
      const width = f.width ?? 8;
      const v = value as number;
      if (!Number.isInteger(v) || v < 0 || v >= 1 << width) throw new RangeError(`${f.key}: ${v} does not fit in ${width} bits`);
      b[off] = b[off]! | (v << (f.shift ?? 0));
      return;
    }
    case 'ascii':
    case 'cstring':
    case 'text': {
      const text = value as string;
      if (text.length > f.size) throw new RangeError(`${f.key}: at most ${f.size} characters, got ${text.length}`);
      b.fill(f.kind === 'ascii' ? 0x20 : f.kind === 'cstring' ? 0 : textPad, off, off + f.size);
      b.write(text, off, 'latin1');
      return;
    }
    case 'hex':
    case 'uuid':
      hexToBytes(value as string, f.size, f.key).copy(b, off);
      return;
  }
}

/** Parses every field of `table` from `buf` at `base`. */
export function readFields<T extends readonly FieldSpec[]>(table: T, buf: Uint8Array, base = 0): FieldsOf<T> {
  const b = view(buf);
  const out: Record<string, unknown> = {};
  for (const f of table) out[f.key] = readField(b, base, f);
  return out as FieldsOf<T>;
}

/** Padding byte for `text` fields: spaces (SPDK, and what the spec's ASCII strings use) or NULs (Linux nvmet). */
export type TextPadding = 'space' | 'nul';

/**
 * Writes every field of `table` from `values` into `buf` at `base`. The caller
 * hands a zeroed region (`bits` fields are OR'ed in).
 */
export function writeFields<T extends readonly FieldSpec[]>(
  table: T,
  values: FieldsOf<T>,
  buf: Uint8Array,
  base = 0,
  textPadding: TextPadding = 'space',
): void {
  const b = view(buf);
  const v = values as Record<string, unknown>;
  const pad = textPadding === 'space' ? 0x20 : 0;
  for (const f of table) writeField(b, base, f, v[f.key], pad);
}

/** The value `table` parses to from all-zero bytes: zero numbers, empty strings, nil UUIDs. */
export function zeroFields<T extends readonly FieldSpec[]>(table: T): FieldsOf<T> {
  const size = Math.max(0, ...table.map((f) => f.offset + f.size));
  return readFields(table, Buffer.alloc(size));
}

/** Throws a ProtocolError naming `what` when a received `buf` is shorter than `size`. */
export function requireLength(what: string, buf: Uint8Array, size: number): void {
  if (buf.byteLength < size) throw new ProtocolError(`${what} length`, buf.byteLength, `expected at least ${size} bytes`);
}
