/**
 * Bit-field layouts: one generic codec driven by a table of `{ shift, width }`
 * per field, for controller registers, feature values and command dwords.
 *
 * `shift` counts bits from the start of a little-endian region (a 32- or 64-bit
 * register, or a whole 64-byte SQE), so a field may span dwords: SLBA is
 * `{ shift: dw(10), width: 64 }`. A one-bit field marked `flag: true` decodes to
 * a boolean, every other field to a number (exact up to 2^53; wider values
 * lose their low bits). A `zeroBased` field is a count on the API side and the
 * count minus one on the wire. Control path only: the hot path writes dwords itself.
 */

export interface BitField {
  /** Lowest bit of the field, from bit 0 of the region. */
  readonly shift: number;
  /** Number of bits. */
  readonly width: number;
  /** Decode to a boolean (one-bit fields only). */
  readonly flag?: boolean;
  /** The wire holds the value minus one (NLB, QSIZE, NUMD...); the API speaks counts. */
  readonly zeroBased?: boolean;
}

export type BitLayout = Readonly<Record<string, BitField>>;

/** The decoded shape of a layout: booleans for flags, numbers for the rest. */
export type BitValues<L extends BitLayout> = {
  -readonly [K in keyof L]: L[K] extends { readonly flag: true } ? boolean : number;
};

/** Bit position of bit `bit` of dword `n` (SQE dword 10 = bytes 40..43). */
export function dw(n: number, bit = 0): number {
  return n * 32 + bit;
}

/**
 * Checks a layout once, where it is defined: fields fit in `bits` and do not overlap.
 * @returns the layout, typed as given
 */
export function defineBitLayout<const L extends BitLayout>(name: string, bits: number, layout: L): L {
  const owner = new Array<string | undefined>(bits);
  for (const [field, { shift, width, flag }] of Object.entries(layout)) {
    if (width < 1 || width > 64 || shift < 0 || shift + width > bits) {
      throw new RangeError(`${name}.${field}: bits ${shift}..${shift + width - 1} outside ${bits}`);
    }
    if (flag && width !== 1) throw new RangeError(`${name}.${field}: a flag is one bit wide`);
    for (let b = shift; b < shift + width; b++) {
      if (owner[b] !== undefined) throw new RangeError(`${name}.${field}: bit ${b} already belongs to ${owner[b]}`);
      owner[b] = field;
    }
  }
  return layout;
}

function readField(buf: Uint8Array, offset: number, shift: number, width: number): number {
  let value = 0;
  for (let got = 0, bit = shift; got < width; ) {
    const inByte = bit & 7;
    const n = Math.min(8 - inByte, width - got);
    value += ((buf[offset + (bit >> 3)]! >> inByte) & ((1 << n) - 1)) * 2 ** got;
    got += n;
    bit += n;
  }
  return value;
}

function writeField(buf: Uint8Array, offset: number, shift: number, width: number, value: number): void {
  for (let put = 0, bit = shift; put < width; ) {
    const inByte = bit & 7;
    const n = Math.min(8 - inByte, width - put);
    const at = offset + (bit >> 3);
    buf[at] = buf[at]! | ((Math.floor(value / 2 ** put) % (1 << n)) << inByte);
    put += n;
    bit += n;
  }
}

/** Reads every field of `layout` from the region at `offset` of `buf`. */
export function readBitFields<L extends BitLayout>(layout: L, buf: Uint8Array, offset = 0): BitValues<L> {
  const out: Record<string, number | boolean> = {};
  for (const [field, { shift, width, flag, zeroBased }] of Object.entries(layout)) {
    const raw = readField(buf, offset, shift, width);
    out[field] = flag ? raw === 1 : zeroBased ? raw + 1 : raw;
  }
  return out as BitValues<L>;
}

/**
 * ORs the given fields into the region at `offset` of `buf` (the caller zeroes
 * it first); fields left out stay as they are.
 * @throws RangeError naming `name.field` when a value is not an integer that fits its width
 */
export function writeBitFields<L extends BitLayout>(
  name: string,
  layout: L,
  buf: Uint8Array,
  offset: number,
  values: Partial<BitValues<L>>,
): void {
  for (const [field, { shift, width, zeroBased }] of Object.entries(layout)) {
    const given = values[field as keyof L] as number | boolean | undefined;
    if (given === undefined) continue;
    const raw = typeof given === 'boolean' ? (given ? 1 : 0) : zeroBased ? given - 1 : given;
    if (!Number.isSafeInteger(raw) || raw < 0 || raw >= 2 ** width) {
      const range = zeroBased ? `1..${2 ** width}` : `0..${2 ** width - 1}`;
      throw new RangeError(`${name}.${field}=${String(given)}: expected an integer in ${range}`);
    }
    writeField(buf, offset, shift, width, raw);
  }
}

/** Scratch for value <-> bytes; codecs are synchronous, so one buffer serves all. */
const scratch = Buffer.alloc(8);

/** Extracts every field of `layout` from a register or dword value. */
export function decodeBits<L extends BitLayout>(layout: L, value: bigint | number): BitValues<L> {
  scratch.writeBigUInt64LE(BigInt.asUintN(64, BigInt(value)));
  return readBitFields(layout, scratch);
}

/** Packs the given fields (missing ones are zero) into a 64-bit value. */
export function encodeBits<L extends BitLayout>(name: string, layout: L, values: Partial<BitValues<L>>): bigint {
  scratch.fill(0);
  writeBitFields(name, layout, scratch, 0, values);
  return scratch.readBigUInt64LE();
}

/** `encodeBits` for layouts of 32 bits or fewer: the result as an unsigned number. */
export function encodeBits32<L extends BitLayout>(name: string, layout: L, values: Partial<BitValues<L>>): number {
  scratch.fill(0);
  writeBitFields(name, layout, scratch, 0, values);
  return scratch.readUInt32LE(0);
}
