/**
 * Pins the size and every field position of every wire structure in src/spec
 * (what SPDK does with static asserts in nvme_spec.h). Each structure is encoded
 * with a distinct value per field, filling the field's top bit; the test then
 * reads each field at the spec's byte offset, bit and width, and checks every
 * bit no field owns is still zero, so a field that is too wide, too narrow or
 * misplaced fails.
 */
import { describe, expect, it } from 'vitest';
import {
  Abort,
  CreateIoCq,
  CreateIoSq,
  DatasetManagement,
  DSM_RANGE_SIZE,
  GetFeatures,
  GetLogPage,
  Identify,
  SetFeatures,
  Write,
  encodeCommand,
  encodeDsmRanges,
  type CommandDefinition,
} from '../../../src/spec/commands.js';
import { CQE_SIZE, CqeOffset, encodeCqe } from '../../../src/spec/cqe.js';
import {
  CONNECT_DATA_SIZE,
  ConnectDataOffset,
  FabricsCommandType,
  FabricsSqeOffset,
  encodeAuthenticationSqe,
  encodeConnectData,
  encodeConnectSqe,
  encodeDisconnectSqe,
  encodePropertyGetSqe,
  encodePropertySetSqe,
} from '../../../src/spec/fabrics.js';
import type { BitLayout } from '../../../src/spec/bitfield.js';
import { SGL_DESCRIPTOR_SIZE, SglSubtype, SglType, encodeSgl } from '../../../src/spec/sgl.js';
import { SQE_SIZE, SqeOffset, encodeSqe } from '../../../src/spec/sqe.js';

/** One field as the spec places it: `size` bytes at `offset`, then bits `shift`.. of that little-endian integer. */
interface Pin {
  name: string;
  offset: number;
  size: number;
  shift?: number;
  width?: number;
  /** API value = wire value + 1. */
  zeroBased?: boolean;
}

function widthOf(p: Pin): number {
  return p.width ?? p.size * 8;
}

/** A value that sets the field's top and bottom bits, different for each field index. */
function patternFor(p: Pin, index: number): bigint {
  const w = BigInt(widthOf(p));
  if (w === 1n) return 1n;
  const top = 1n << (w - 1n);
  const mix = (BigInt(index + 1) * 0x9e37_79b9_7f4a_7c15n) & (top - 1n);
  return top | mix | 1n;
}

function readPin(buf: Buffer, p: Pin): bigint {
  let v = 0n;
  for (let i = p.size - 1; i >= 0; i--) v = (v << 8n) | BigInt(buf[p.offset + i]!);
  return (v >> BigInt(p.shift ?? 0)) & ((1n << BigInt(widthOf(p))) - 1n);
}

/** The values to encode, keyed by pin name, as numbers where they fit (bigint otherwise). */
function valuesFor(pins: readonly Pin[]): { wire: Map<string, bigint>; api: Record<string, number | bigint | boolean> } {
  const wire = new Map<string, bigint>();
  const api: Record<string, number | bigint | boolean> = {};
  pins.forEach((p, i) => {
    const v = patternFor(p, i);
    wire.set(p.name, v);
    const apiValue = p.zeroBased ? v + 1n : v;
    api[p.name] = widthOf(p) === 1 ? true : widthOf(p) > 52 ? apiValue : Number(apiValue);
  });
  return { wire, api };
}

/** Checks size, every pinned field, and that no other bit is set. */
function expectLayout(buf: Buffer, size: number, pins: readonly Pin[], wire: Map<string, bigint>): void {
  expect(buf.length).toBe(size);
  const owned = new Uint8Array(size);
  for (const p of pins) {
    expect(readPin(buf, p), `${p.name} at byte ${p.offset}`).toBe(wire.get(p.name));
    for (let b = p.offset * 8 + (p.shift ?? 0), end = b + widthOf(p); b < end; b++) owned[b >> 3]! |= 1 << (b & 7);
  }
  for (let i = 0; i < size; i++) expect(buf[i]! & ~owned[i]!, `unowned bits of byte ${i}`).toBe(0);
}

describe('Submission Queue Entry: 64 bytes', () => {
  const pins: Pin[] = [
    { name: 'opc', offset: 0, size: 1 },
    { name: 'fuse', offset: 1, size: 1, shift: 0, width: 2 },
    { name: 'psdt', offset: 1, size: 1, shift: 6, width: 2 },
    { name: 'cid', offset: 2, size: 2 },
    { name: 'nsid', offset: 4, size: 4 },
    { name: 'cdw2', offset: 8, size: 4 },
    { name: 'cdw3', offset: 12, size: 4 },
    { name: 'mptr', offset: 16, size: 8 },
    { name: 'prp1', offset: 24, size: 8 },
    { name: 'prp2', offset: 32, size: 8 },
    ...[10, 11, 12, 13, 14, 15].map((n) => ({ name: `cdw${n}`, offset: 4 * n, size: 4 })),
  ];

  it('places every field', () => {
    const { wire, api } = valuesFor(pins);
    const dptr = Buffer.alloc(16);
    dptr.writeBigUInt64LE(wire.get('prp1')!, 0);
    dptr.writeBigUInt64LE(wire.get('prp2')!, 8);
    const buf = encodeSqe({ ...(api as object), opc: Number(wire.get('opc')), mptr: wire.get('mptr')!, dptr });
    expectLayout(buf, SQE_SIZE, pins, wire);
  });

  it('names the same offsets in SqeOffset', () => {
    expect(SqeOffset).toEqual({
      OPC: 0, FLAGS: 1, CID: 2, NSID: 4, CDW2: 8, CDW3: 12, MPTR: 16, DPTR: 24, PRP1: 24, PRP2: 32,
      CDW10: 40, CDW11: 44, CDW12: 48, CDW13: 52, CDW14: 56, CDW15: 60,
    });
  });
});

describe('Completion Queue Entry: 16 bytes', () => {
  const pins: Pin[] = [
    { name: 'cdw0', offset: 0, size: 4 },
    { name: 'cdw1', offset: 4, size: 4 },
    { name: 'sqhd', offset: 8, size: 2 },
    { name: 'sqid', offset: 10, size: 2 },
    { name: 'cid', offset: 12, size: 2 },
    { name: 'p', offset: 14, size: 2, shift: 0, width: 1 },
    { name: 'sc', offset: 14, size: 2, shift: 1, width: 8 },
    { name: 'sct', offset: 14, size: 2, shift: 9, width: 3 },
    { name: 'crd', offset: 14, size: 2, shift: 12, width: 2 },
    { name: 'more', offset: 14, size: 2, shift: 14, width: 1 },
    { name: 'dnr', offset: 14, size: 2, shift: 15, width: 1 },
  ];

  it('places every field, status bits included', () => {
    const { wire, api } = valuesFor(pins);
    const buf = encodeCqe({ ...(api as object), cid: Number(wire.get('cid')), p: 1 });
    expectLayout(buf, CQE_SIZE, pins, wire);
    expect(CqeOffset).toEqual({ CDW0: 0, CDW1: 4, SQHD: 8, SQID: 10, CID: 12, STATUS: 14 });
  });
});

describe('Fabrics command SQEs', () => {
  const header: Pin[] = [
    { name: 'opc', offset: 0, size: 1 },
    { name: 'cid', offset: 2, size: 2 },
    { name: 'fctype', offset: 4, size: 1 },
  ];
  /** The header pins hold fixed values (0x7f, the FCTYPE): check them apart from the patterned fields. */
  function expectFabrics(buf: Buffer, fctype: number, cid: number, pins: Pin[], wire: Map<string, bigint>): void {
    expect([buf[0], buf.readUInt16LE(2), buf[4]]).toEqual([0x7f, cid, fctype]);
    const fixed = new Map([...wire, ['opc', 0x7fn], ['cid', BigInt(cid)], ['fctype', BigInt(fctype)]]);
    expectLayout(buf, SQE_SIZE, [...header, ...pins], fixed);
  }

  it('Connect: RECFMT 40, QID 42, SQSIZE 44, CATTR 46, KATO 48', () => {
    const pins: Pin[] = [
      { name: 'recfmt', offset: 40, size: 2 },
      { name: 'qid', offset: 42, size: 2 },
      { name: 'sqsize', offset: 44, size: 2 },
      { name: 'cattr', offset: 46, size: 1 },
      { name: 'kato', offset: 48, size: 4 },
    ];
    const { wire, api } = valuesFor(pins);
    const buf = encodeConnectSqe(Buffer.alloc(SQE_SIZE), { ...(api as { qid: number; sqsize: number }), cid: 0x8123 });
    expectFabrics(buf, FabricsCommandType.CONNECT, 0x8123, pins, wire);
    expect(FabricsSqeOffset).toMatchObject({ FCTYPE: 4, SGL1: 24, RECFMT: 40, QID: 42, SQSIZE: 44, CATTR: 46, KATO: 48 });
  });

  it('Property Set: ATTRIB 40 (size in bits 2:0), OFST 44, VALUE 48', () => {
    const pins: Pin[] = [
      { name: 'ofst', offset: 44, size: 4 },
      { name: 'value', offset: 48, size: 8 },
    ];
    const { wire } = valuesFor(pins);
    const buf = encodePropertySetSqe(Buffer.alloc(SQE_SIZE), { cid: 1, offset: Number(wire.get('ofst')), size: 8, value: wire.get('value')! });
    expectFabrics(buf, FabricsCommandType.PROPERTY_SET, 1, [{ name: 'attrib', offset: 40, size: 1, width: 3 }, ...pins], new Map([...wire, ['attrib', 1n]]));
  });

  it('Property Get: ATTRIB 40, OFST 44', () => {
    const pins: Pin[] = [{ name: 'ofst', offset: 44, size: 4 }];
    const { wire } = valuesFor(pins);
    const buf = encodePropertyGetSqe(Buffer.alloc(SQE_SIZE), { cid: 2, offset: Number(wire.get('ofst')), size: 8 });
    expectFabrics(buf, FabricsCommandType.PROPERTY_GET, 2, [{ name: 'attrib', offset: 40, size: 1, width: 3 }, ...pins], new Map([...wire, ['attrib', 1n]]));
  });

  it('Disconnect: RECFMT 40', () => {
    const pins: Pin[] = [{ name: 'recfmt', offset: 40, size: 2 }];
    const { wire, api } = valuesFor(pins);
    const buf = encodeDisconnectSqe(Buffer.alloc(SQE_SIZE), { cid: 3, recfmt: api.recfmt as number });
    expectFabrics(buf, FabricsCommandType.DISCONNECT, 3, pins, wire);
  });

  it('Authentication Send: SPSP0 41, SPSP1 42, SECP 43, TL 44', () => {
    const pins: Pin[] = [
      { name: 'spsp0', offset: 41, size: 1 },
      { name: 'spsp1', offset: 42, size: 1 },
      { name: 'secp', offset: 43, size: 1 },
      { name: 'length', offset: 44, size: 4 },
    ];
    const { wire, api } = valuesFor(pins);
    const fields = api as { spsp0: number; spsp1: number; secp: number; length: number };
    const buf = encodeAuthenticationSqe(Buffer.alloc(SQE_SIZE), FabricsCommandType.AUTHENTICATION_SEND, { ...fields, cid: 4 });
    expectFabrics(buf, FabricsCommandType.AUTHENTICATION_SEND, 4, pins, wire);
  });
});

describe('Connect data: 1024 bytes', () => {
  it('HOSTID 0..15, CNTLID 16, SUBNQN 256..511, HOSTNQN 512..767, the rest reserved', () => {
    const subnqn = 's'.repeat(223);
    const hostnqn = 'h'.repeat(223);
    const hostid = Uint8Array.from({ length: 16 }, (_, i) => 0xf0 | i);
    const buf = encodeConnectData({ hostid, cntlid: 0xfedc, subnqn, hostnqn });
    expect(buf.length).toBe(CONNECT_DATA_SIZE);
    expect(buf.subarray(0, 16).equals(hostid)).toBe(true);
    expect(buf.readUInt16LE(16)).toBe(0xfedc);
    expect(buf.toString('latin1', 256, 479)).toBe(subnqn);
    expect(buf.toString('latin1', 512, 735)).toBe(hostnqn);
    const owned = new Set([...Array(18).keys(), ...Array.from({ length: 223 }, (_, i) => 256 + i), ...Array.from({ length: 223 }, (_, i) => 512 + i)]);
    for (let i = 0; i < CONNECT_DATA_SIZE; i++) if (!owned.has(i)) expect(buf[i], `byte ${i}`).toBe(0);
    expect(ConnectDataOffset).toEqual({ HOSTID: 0, CNTLID: 16, SUBNQN: 256, HOSTNQN: 512 });
  });
});

describe('SGL descriptors: 16 bytes', () => {
  it('Data Block: ADDRESS 0, LENGTH 8, identifier 15', () => {
    const pins: Pin[] = [
      { name: 'address', offset: 0, size: 8 },
      { name: 'length', offset: 8, size: 4 },
    ];
    const { wire } = valuesFor(pins);
    const buf = encodeSgl({ type: SglType.DATA_BLOCK, subtype: SglSubtype.OFFSET, address: wire.get('address')!, length: Number(wire.get('length')) });
    expectLayout(buf, SGL_DESCRIPTOR_SIZE, [...pins, { name: 'id', offset: 15, size: 1 }], new Map([...wire, ['id', 0x01n]]));
  });

  it('Keyed Data Block: ADDRESS 0, 24-bit LENGTH 8, KEY 11, identifier 15', () => {
    const pins: Pin[] = [
      { name: 'address', offset: 0, size: 8 },
      { name: 'length', offset: 8, size: 3 },
      { name: 'key', offset: 11, size: 4 },
    ];
    const { wire } = valuesFor(pins);
    const buf = encodeSgl({ type: SglType.KEYED_DATA_BLOCK, subtype: SglSubtype.INVALIDATE_KEY, address: wire.get('address')!, length: Number(wire.get('length')), key: Number(wire.get('key')) });
    expectLayout(buf, SGL_DESCRIPTOR_SIZE, [...pins, { name: 'id', offset: 15, size: 1 }], new Map([...wire, ['id', 0x4fn]]));
  });

  it('Transport Data Block: LENGTH 8, identifier 15, no address', () => {
    const pins: Pin[] = [{ name: 'length', offset: 8, size: 4 }];
    const { wire } = valuesFor(pins);
    const buf = encodeSgl({ type: SglType.TRANSPORT_DATA_BLOCK, subtype: SglSubtype.TRANSPORT, length: Number(wire.get('length')) });
    expectLayout(buf, SGL_DESCRIPTOR_SIZE, [...pins, { name: 'id', offset: 15, size: 1 }], new Map([...wire, ['id', 0x5an]]));
  });
});

describe('Dataset Management range: 16 bytes', () => {
  it('CATTR 0, NLB 4, SLBA 8', () => {
    const pins: Pin[] = [
      { name: 'cattr', offset: 0, size: 4 },
      { name: 'nlb', offset: 4, size: 4 },
      // SLBA is pinned to 52 bits: the codec speaks numbers.
      { name: 'slba', offset: 8, size: 8, width: 52 },
    ];
    const { wire } = valuesFor(pins);
    const buf = encodeDsmRanges([{ cattr: Number(wire.get('cattr')), nlb: Number(wire.get('nlb')), slba: Number(wire.get('slba')) }]);
    expectLayout(buf, DSM_RANGE_SIZE, pins, wire);
  });
});

describe('command dwords', () => {
  function check<L extends BitLayout>(cmd: CommandDefinition<L>, pins: Pin[]): void {
    const { wire, api } = valuesFor(pins);
    const buf = encodeCommand(cmd, Buffer.alloc(SQE_SIZE), api as never);
    expectLayout(buf, SQE_SIZE, [{ name: 'opc', offset: 0, size: 1 }, ...pins], new Map([...wire, ['opc', BigInt(cmd.opc)]]));
  }

  it('Identify', () =>
    check(Identify, [
      { name: 'nsid', offset: 4, size: 4 },
      { name: 'cns', offset: 40, size: 1 },
      { name: 'cntid', offset: 42, size: 2 },
      { name: 'cnsSpecificId', offset: 44, size: 2 },
      { name: 'csi', offset: 47, size: 1 },
      { name: 'uuidIndex', offset: 56, size: 1, width: 7 },
    ]));

  it('Get Log Page', () =>
    check(GetLogPage, [
      { name: 'nsid', offset: 4, size: 4 },
      { name: 'lid', offset: 40, size: 1 },
      { name: 'lsp', offset: 41, size: 1, width: 7 },
      { name: 'rae', offset: 41, size: 1, shift: 7, width: 1 },
      { name: 'numd', offset: 42, size: 4, zeroBased: true },
      { name: 'lsi', offset: 46, size: 2 },
      { name: 'offset', offset: 48, size: 8, width: 52 },
      { name: 'uuidIndex', offset: 56, size: 1, width: 7 },
      { name: 'ot', offset: 58, size: 1, shift: 7, width: 1 },
      { name: 'csi', offset: 59, size: 1 },
    ]));

  it('Get Features and Set Features', () => {
    check(GetFeatures, [
      { name: 'nsid', offset: 4, size: 4 },
      { name: 'fid', offset: 40, size: 1 },
      { name: 'sel', offset: 41, size: 1, width: 3 },
      { name: 'cdw11', offset: 44, size: 4 },
      { name: 'uuidIndex', offset: 56, size: 1, width: 7 },
    ]);
    check(SetFeatures, [
      { name: 'nsid', offset: 4, size: 4 },
      { name: 'fid', offset: 40, size: 1 },
      { name: 'sv', offset: 43, size: 1, shift: 7, width: 1 },
      { name: 'cdw11', offset: 44, size: 4 },
      { name: 'cdw12', offset: 48, size: 4 },
      { name: 'cdw13', offset: 52, size: 4 },
      { name: 'uuidIndex', offset: 56, size: 1, width: 7 },
    ]);
  });

  it('Create I/O CQ and SQ, Abort', () => {
    check(CreateIoCq, [
      { name: 'prp1', offset: 24, size: 8, width: 52 },
      { name: 'qid', offset: 40, size: 2 },
      { name: 'qsize', offset: 42, size: 2, zeroBased: true },
      { name: 'pc', offset: 44, size: 1, width: 1 },
      { name: 'ien', offset: 44, size: 1, shift: 1, width: 1 },
      { name: 'iv', offset: 46, size: 2 },
    ]);
    check(CreateIoSq, [
      { name: 'prp1', offset: 24, size: 8, width: 52 },
      { name: 'qid', offset: 40, size: 2 },
      { name: 'qsize', offset: 42, size: 2, zeroBased: true },
      { name: 'pc', offset: 44, size: 1, width: 1 },
      { name: 'qprio', offset: 44, size: 1, shift: 1, width: 2 },
      { name: 'cqid', offset: 46, size: 2 },
      { name: 'nvmsetid', offset: 48, size: 2 },
    ]);
    check(Abort, [
      { name: 'sqid', offset: 40, size: 2 },
      { name: 'cid', offset: 42, size: 2 },
    ]);
  });

  it('Read / Write / Compare / Write Zeroes / Verify', () =>
    check(Write, [
      { name: 'nsid', offset: 4, size: 4 },
      { name: 'slba', offset: 40, size: 8, width: 52 },
      { name: 'nlb', offset: 48, size: 2, zeroBased: true },
      { name: 'dtype', offset: 50, size: 1, shift: 4, width: 4 },
      { name: 'stc', offset: 51, size: 1, width: 1 },
      { name: 'deac', offset: 51, size: 1, shift: 1, width: 1 },
      { name: 'prinfo', offset: 51, size: 1, shift: 2, width: 4 },
      { name: 'fua', offset: 51, size: 1, shift: 6, width: 1 },
      { name: 'lr', offset: 51, size: 1, shift: 7, width: 1 },
      { name: 'dsm', offset: 52, size: 1 },
      { name: 'dspec', offset: 54, size: 2 },
      { name: 'eilbrt', offset: 56, size: 4 },
      { name: 'elbat', offset: 60, size: 2 },
      { name: 'elbatm', offset: 62, size: 2 },
    ]));

  it('Dataset Management', () =>
    check(DatasetManagement, [
      { name: 'nsid', offset: 4, size: 4 },
      { name: 'nr', offset: 40, size: 1, zeroBased: true },
      { name: 'idr', offset: 44, size: 1, width: 1 },
      { name: 'idw', offset: 44, size: 1, shift: 1, width: 1 },
      { name: 'ad', offset: 44, size: 1, shift: 2, width: 1 },
    ]));
});
