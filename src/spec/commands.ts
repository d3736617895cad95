/**
 * Command dword layouts (NVMe base spec admin commands, NVM command set I/O
 * commands): the host builds SQEs with them and the target parses the same
 * bytes back. Each command is one table of fields (`dw(n, bit)` positions in
 * the SQE); `encodeCommand` / `decodeCommand` are the only code that reads them.
 *
 * Counts are counts: NLB, QSIZE, NUMD and NR are 0-based on the wire but
 * 1-based here (`nlb: 8` is eight blocks). Builders write all 64 bytes except
 * CID (the queue pair assigns it) and leave PSDT/DPTR zero for the transport,
 * except where the spec puts a queue address in PRP1 (Create I/O SQ/CQ).
 *
 * The I/O hot path uses `writeIoCommand`, `readSlba` and `readNlb`, which
 * write or read the dwords directly without building objects.
 */
import {
  type BitLayout,
  type BitValues,
  decodeBits,
  defineBitLayout,
  dw,
  encodeBits32,
  readBitFields,
  writeBitFields,
} from './bitfield.js';
import { writeAddress } from './address.js';
import { AdminOpcode, IoOpcode } from './opcodes.js';
import { SQE_SIZE, SqeOffset } from './sqe.js';

const SQE_BITS = SQE_SIZE * 8;
const NSID = { shift: dw(1), width: 32 } as const;
const PRP1 = { shift: dw(6), width: 64 } as const;
const UUID_INDEX = { shift: dw(14), width: 7 } as const;

/** A command's fields, keyed by the names the spec uses (lowercase). */
export interface CommandDefinition<L extends BitLayout> {
  /** Name for errors, in SPDK's trace spelling. */
  readonly name: string;
  readonly opc: number;
  readonly layout: L;
}

function defineCommand<const L extends BitLayout>(name: string, opc: number, layout: L): CommandDefinition<L> {
  return { name, opc, layout: defineBitLayout(name, SQE_BITS, layout) };
}

/** The decoded fields of a command. */
export type CommandFields<C> = C extends CommandDefinition<infer L> ? BitValues<L> : never;

/**
 * Writes a whole SQE for `cmd` into `sqe` at `offset`: zeroes the 64 bytes, sets
 * the opcode (`opc`, default the command's own) and the given fields.
 * @throws RangeError naming the field when a value does not fit
 */
export function encodeCommand<L extends BitLayout>(
  cmd: CommandDefinition<L>,
  sqe: Buffer,
  values: Partial<BitValues<L>>,
  offset = 0,
  opc = cmd.opc,
): Buffer {
  sqe.fill(0, offset, offset + SQE_SIZE);
  sqe[offset + SqeOffset.OPC] = opc;
  writeBitFields(cmd.name, cmd.layout, sqe, offset, values);
  return sqe;
}

/** Reads the fields of `cmd` from the SQE at `offset` (the opcode is not checked). */
export function decodeCommand<L extends BitLayout>(cmd: CommandDefinition<L>, sqe: Uint8Array, offset = 0): BitValues<L> {
  return readBitFields(cmd.layout, sqe, offset);
}

// ---------------------------------------------------------------- admin

/** Identify: CNS in CDW10, CNTID, CNS specific ID and CSI, UUID index. */
export const Identify = defineCommand('IDENTIFY', AdminOpcode.IDENTIFY, {
  nsid: NSID,
  /** Controller or Namespace Structure (`Cns` in identify.ts). */
  cns: { shift: dw(10, 0), width: 8 },
  cntid: { shift: dw(10, 16), width: 16 },
  /** CNS specific identifier (NVM set, domain, endurance group...). */
  cnsSpecificId: { shift: dw(11, 0), width: 16 },
  /** Command Set Identifier. */
  csi: { shift: dw(11, 24), width: 8 },
  uuidIndex: UUID_INDEX,
});

/** Get Log Page: LID, LSP, RAE, NUMD (a count of dwords, CDW10/11), LSI, 64-bit offset, UUID index, OT, CSI. */
export const GetLogPage = defineCommand('GET LOG PAGE', AdminOpcode.GET_LOG_PAGE, {
  nsid: NSID,
  /** Log Page Identifier (`LogPageId` in log-pages.ts). */
  lid: { shift: dw(10, 0), width: 8 },
  /** Log Specific Parameter. */
  lsp: { shift: dw(10, 8), width: 7 },
  /** Retain Asynchronous Event. */
  rae: { shift: dw(10, 15), width: 1, flag: true },
  /** Number of dwords to return: NUMDL (CDW10 31:16) and NUMDU (CDW11 15:0) are contiguous bits. */
  numd: { shift: dw(10, 16), width: 32, zeroBased: true },
  /** Log Specific Identifier. */
  lsi: { shift: dw(11, 16), width: 16 },
  /** Byte offset into the log page (LPOL/LPOU), or an index when `ot` is set. */
  offset: { shift: dw(12), width: 64 },
  uuidIndex: UUID_INDEX,
  /** Offset Type: `offset` is an index, not bytes. */
  ot: { shift: dw(14, 23), width: 1, flag: true },
  csi: { shift: dw(14, 24), width: 8 },
});

/** NUMD for a transfer of `bytes` (a whole number of dwords). */
export function dwordsOf(bytes: number): number {
  if (bytes <= 0 || bytes % 4 !== 0) throw new RangeError(`a log page transfer is a positive multiple of 4 bytes, got ${bytes}`);
  return bytes / 4;
}

/** Get Features: FID, SEL, the feature specific CDW11, UUID index. */
export const GetFeatures = defineCommand('GET FEATURES', AdminOpcode.GET_FEATURES, {
  nsid: NSID,
  fid: { shift: dw(10, 0), width: 8 },
  /** Select (`FeatureSelect` in features.ts). */
  sel: { shift: dw(10, 8), width: 3 },
  cdw11: { shift: dw(11), width: 32 },
  uuidIndex: UUID_INDEX,
});

/** Set Features: FID, SV, the feature value in CDW11 (and 12, 13 for some features), UUID index. */
export const SetFeatures = defineCommand('SET FEATURES', AdminOpcode.SET_FEATURES, {
  nsid: NSID,
  fid: { shift: dw(10, 0), width: 8 },
  /** Save: the value persists across power cycles and resets. */
  sv: { shift: dw(10, 31), width: 1, flag: true },
  cdw11: { shift: dw(11), width: 32 },
  cdw12: { shift: dw(12), width: 32 },
  cdw13: { shift: dw(13), width: 32 },
  uuidIndex: UUID_INDEX,
});

/** Create I/O Completion Queue (PCIe): the queue's memory in PRP1. */
export const CreateIoCq = defineCommand('CREATE IO CQ', AdminOpcode.CREATE_IO_CQ, {
  prp1: PRP1,
  qid: { shift: dw(10, 0), width: 16 },
  /** Entries in the queue (QSIZE + 1). */
  qsize: { shift: dw(10, 16), width: 16, zeroBased: true },
  /** Physically Contiguous. */
  pc: { shift: dw(11, 0), width: 1, flag: true },
  /** Interrupts Enabled. */
  ien: { shift: dw(11, 1), width: 1, flag: true },
  /** Interrupt Vector. */
  iv: { shift: dw(11, 16), width: 16 },
});

/** Queue priority for weighted round robin (Create I/O SQ QPRIO). */
export const QueuePriority = {
  URGENT: 0,
  HIGH: 1,
  MEDIUM: 2,
  LOW: 3,
} as const;

/** Create I/O Submission Queue (PCIe): the queue's memory in PRP1. */
export const CreateIoSq = defineCommand('CREATE IO SQ', AdminOpcode.CREATE_IO_SQ, {
  prp1: PRP1,
  qid: { shift: dw(10, 0), width: 16 },
  /** Entries in the queue (QSIZE + 1). */
  qsize: { shift: dw(10, 16), width: 16, zeroBased: true },
  pc: { shift: dw(11, 0), width: 1, flag: true },
  qprio: { shift: dw(11, 1), width: 2 },
  /** The completion queue this SQ posts to. */
  cqid: { shift: dw(11, 16), width: 16 },
  nvmsetid: { shift: dw(12, 0), width: 16 },
});

const DELETE_IO_QUEUE = { qid: { shift: dw(10, 0), width: 16 } } as const;
export const DeleteIoSq = defineCommand('DELETE IO SQ', AdminOpcode.DELETE_IO_SQ, DELETE_IO_QUEUE);
export const DeleteIoCq = defineCommand('DELETE IO CQ', AdminOpcode.DELETE_IO_CQ, DELETE_IO_QUEUE);

/** Abort: the SQ and CID of the command to abort. */
export const Abort = defineCommand('ABORT', AdminOpcode.ABORT, {
  sqid: { shift: dw(10, 0), width: 16 },
  cid: { shift: dw(10, 16), width: 16 },
});

/** Abort completion dword 0, bit 0: set when the command was not aborted. */
export function abortSucceeded(cdw0: number): boolean {
  return (cdw0 & 1) === 0;
}

export const AsyncEventRequest = defineCommand('ASYNC EVENT REQUEST', AdminOpcode.ASYNC_EVENT_REQUEST, {});
export const KeepAlive = defineCommand('KEEP ALIVE', AdminOpcode.KEEP_ALIVE, {});

// ---------------------------------------------------------------- async events

/** Asynchronous Event Type (completion dword 0 bits 2:0). */
export const AsyncEventType = {
  ERROR: 0,
  SMART: 1,
  NOTICE: 2,
  IMMEDIATE: 3,
  ONE_SHOT: 4,
  IO_COMMAND_SET: 6,
  VENDOR: 7,
} as const;

/** Asynchronous Event Information for type ERROR. */
export const AsyncEventErrorInfo = {
  WRITE_TO_INVALID_DOORBELL: 0x00,
  INVALID_DOORBELL_WRITE_VALUE: 0x01,
  DIAGNOSTIC_FAILURE: 0x02,
  PERSISTENT_INTERNAL_ERROR: 0x03,
  TRANSIENT_INTERNAL_ERROR: 0x04,
  FIRMWARE_IMAGE_LOAD_ERROR: 0x05,
} as const;

/** Asynchronous Event Information for type SMART. */
export const AsyncEventSmartInfo = {
  NVM_SUBSYSTEM_RELIABILITY: 0x00,
  TEMPERATURE_THRESHOLD: 0x01,
  SPARE_BELOW_THRESHOLD: 0x02,
} as const;

/** Asynchronous Event Information for type NOTICE. */
export const AsyncEventNoticeInfo = {
  NS_ATTRIBUTE_CHANGED: 0x00,
  FIRMWARE_ACTIVATION_STARTING: 0x01,
  TELEMETRY_LOG_CHANGED: 0x02,
  ANA_CHANGE: 0x03,
  PREDICTABLE_LATENCY_EVENT_AGGREGATE_LOG_CHANGE: 0x04,
  LBA_STATUS_INFORMATION_ALERT: 0x05,
  ENDURANCE_GROUP_EVENT_AGGREGATE_LOG_CHANGE: 0x06,
  DISCOVERY_LOG_CHANGE: 0xf0,
} as const;

/** Asynchronous Event Information for type IO_COMMAND_SET. */
export const AsyncEventIoCommandSetInfo = {
  RESERVATION_LOG_PAGE_AVAILABLE: 0x00,
  SANITIZE_OPERATION_COMPLETED: 0x01,
  SANITIZE_COMPLETED_WITH_UNEXPECTED_DEALLOCATION: 0x02,
} as const;

const ASYNC_EVENT_INFO_NAMES = new Map<number, Map<number, string>>(
  (
    [
      [AsyncEventType.ERROR, AsyncEventErrorInfo],
      [AsyncEventType.SMART, AsyncEventSmartInfo],
      [AsyncEventType.NOTICE, AsyncEventNoticeInfo],
      [AsyncEventType.IO_COMMAND_SET, AsyncEventIoCommandSetInfo],
    ] as const
  ).map(([type, table]) => [type, new Map(Object.entries(table).map(([name, info]) => [info, name.replace(/_/g, ' ')]))]),
);
const ASYNC_EVENT_TYPE_NAMES = new Map<number, string>(
  Object.entries(AsyncEventType).map(([name, type]) => [type, name.replace(/_/g, ' ')]),
);

/** `NOTICE: DISCOVERY LOG CHANGE`, `SMART: TEMPERATURE THRESHOLD`, or the numbers when unknown. */
export function asyncEventName(type: number, info: number): string {
  const typeName = ASYNC_EVENT_TYPE_NAMES.get(type) ?? `TYPE ${type}`;
  const infoName = ASYNC_EVENT_INFO_NAMES.get(type)?.get(info) ?? `INFO 0x${info.toString(16).padStart(2, '0')}`;
  return `${typeName}: ${infoName}`;
}

const ASYNC_EVENT_COMPLETION = defineBitLayout('AsyncEventCompletion', 32, {
  type: { shift: 0, width: 3 },
  info: { shift: 8, width: 8 },
  /** The log page to read (with RAE clear) to re-arm the event. */
  logPageId: { shift: 16, width: 8 },
});
export type AsyncEventCompletion = BitValues<typeof ASYNC_EVENT_COMPLETION>;

/** Decodes dword 0 of an Async Event Request completion. */
export function decodeAsyncEventCompletion(cdw0: number): AsyncEventCompletion {
  return decodeBits(ASYNC_EVENT_COMPLETION, cdw0);
}

/** Dword 0 of an Async Event Request completion (target side). */
export function encodeAsyncEventCompletion(event: AsyncEventCompletion): number {
  return encodeBits32('AsyncEventCompletion', ASYNC_EVENT_COMPLETION, event);
}

// ---------------------------------------------------------------- NVM I/O

/** Largest NLB of one Read/Write/Compare/Write Zeroes/Verify: 16 bits, 0-based. */
export const NLB_MAX = 0x10000;

/** CDW12 bits of the block commands (what `writeIoCommand`'s `cdw12Flags` carries). */
export const IoCdw12Flag = {
  /** Storage Tag Check (Write). */
  STC: 1 << 24,
  /** Deallocate (Write Zeroes). */
  DEAC: 1 << 25,
  /** Force Unit Access. */
  FUA: 1 << 30,
  /** Limited Retry. */
  LR: 2 ** 31,
} as const;

const BLOCK_COMMAND = {
  nsid: NSID,
  /** Starting LBA (CDW10/11); exact up to 2^53. */
  slba: { shift: dw(10), width: 64 },
  /** Number of logical blocks (1..65536). */
  nlb: { shift: dw(12, 0), width: 16, zeroBased: true },
  /** Directive Type (Write). */
  dtype: { shift: dw(12, 20), width: 4 },
  stc: { shift: dw(12, 24), width: 1, flag: true },
  deac: { shift: dw(12, 25), width: 1, flag: true },
  /** Protection Information field. */
  prinfo: { shift: dw(12, 26), width: 4 },
  fua: { shift: dw(12, 30), width: 1, flag: true },
  lr: { shift: dw(12, 31), width: 1, flag: true },
  /** Dataset Management hints (access frequency, latency...). */
  dsm: { shift: dw(13, 0), width: 8 },
  /** Directive Specific. */
  dspec: { shift: dw(13, 16), width: 16 },
  /** Expected initial logical block reference tag. */
  eilbrt: { shift: dw(14), width: 32 },
  /** Expected logical block application tag. */
  elbat: { shift: dw(15, 0), width: 16 },
  /** Expected logical block application tag mask. */
  elbatm: { shift: dw(15, 16), width: 16 },
} as const;

export const Read = defineCommand('READ', IoOpcode.READ, BLOCK_COMMAND);
export const Write = defineCommand('WRITE', IoOpcode.WRITE, BLOCK_COMMAND);
export const Compare = defineCommand('COMPARE', IoOpcode.COMPARE, BLOCK_COMMAND);
export const WriteZeroes = defineCommand('WRITE ZEROES', IoOpcode.WRITE_ZEROES, BLOCK_COMMAND);
export const WriteUncorrectable = defineCommand('WRITE UNCORRECTABLE', IoOpcode.WRITE_UNCORRECTABLE, BLOCK_COMMAND);
export const Verify = defineCommand('VERIFY', IoOpcode.VERIFY, BLOCK_COMMAND);

export type ReadWriteFields = CommandFields<typeof Read>;

/** Read/Write/Compare/Write Zeroes/Write Uncorrectable/Verify with the opcode given (control path, tests). */
export function encodeReadWrite(sqe: Buffer, fields: Partial<ReadWriteFields> & { opc: number }, offset = 0): Buffer {
  return encodeCommand(Read, sqe, fields, offset, fields.opc);
}

/** The block command fields and opcode of the SQE at `offset` (target side, control path, tests). */
export function decodeReadWrite(sqe: Buffer, offset = 0): ReadWriteFields & { opc: number } {
  return { opc: sqe[offset + SqeOffset.OPC]!, ...decodeCommand(Read, sqe, offset) };
}

export const Flush = defineCommand('FLUSH', IoOpcode.FLUSH, { nsid: NSID });

/** Dataset Management CDW11 attributes. */
export const DsmAttribute = {
  /** Integral Dataset for Read. */
  INTEGRAL_DATASET_READ: 1 << 0,
  /** Integral Dataset for Write. */
  INTEGRAL_DATASET_WRITE: 1 << 1,
  /** Deallocate (trim). */
  DEALLOCATE: 1 << 2,
} as const;

/** Dataset Management: the number of ranges (1..256) and the attributes. */
export const DatasetManagement = defineCommand('DATASET MANAGEMENT', IoOpcode.DATASET_MANAGEMENT, {
  nsid: NSID,
  /** Number of 16-byte ranges in the data (NR + 1). */
  nr: { shift: dw(10, 0), width: 8, zeroBased: true },
  idr: { shift: dw(11, 0), width: 1, flag: true },
  idw: { shift: dw(11, 1), width: 1, flag: true },
  ad: { shift: dw(11, 2), width: 1, flag: true },
});

/**
 * Writes a block command (or Flush / Dataset Management with `nlb` 0) into a
 * reused SQE: zeroes it, then sets OPC, NSID, SLBA, NLB and the CDW12 flags.
 * Hot path: no allocation, no validation beyond what the caller did.
 *
 * @param nlb number of blocks, 1..65536; 0 for commands without a block range
 * @param cdw12Flags `IoCdw12Flag` bits (FUA, LR, DEAC...)
 */
export function writeIoCommand(sqe: Buffer, opc: number, nsid: number, slba: number, nlb: number, cdw12Flags: number): void {
  sqe.fill(0, 0, SQE_SIZE);
  sqe[SqeOffset.OPC] = opc;
  sqe.writeUInt32LE(nsid, SqeOffset.NSID);
  sqe.writeUInt32LE(slba % 0x1_0000_0000, SqeOffset.CDW10);
  sqe.writeUInt32LE(Math.floor(slba / 0x1_0000_0000), SqeOffset.CDW11);
  sqe.writeUInt32LE((((nlb > 0 ? nlb - 1 : 0) & 0xffff) | cdw12Flags) >>> 0, SqeOffset.CDW12);
}

/** SLBA of a block command (hot path, target side). */
export function readSlba(sqe: Buffer, offset = 0): number {
  return sqe.readUInt32LE(offset + SqeOffset.CDW11) * 0x1_0000_0000 + sqe.readUInt32LE(offset + SqeOffset.CDW10);
}

/** Number of blocks of a block command, 1..65536 (hot path, target side). */
export function readNlb(sqe: Buffer, offset = 0): number {
  return (sqe.readUInt16LE(offset + SqeOffset.CDW12) & 0xffff) + 1;
}

/** One Dataset Management range. */
export interface DsmRange {
  /** Context attributes (access hints); default 0. */
  cattr?: number;
  /** Length in logical blocks (a count, not 0-based). */
  nlb: number;
  slba: number;
}

export const DSM_RANGE_SIZE = 16;
/** Most ranges one Dataset Management command carries. */
export const DSM_MAX_RANGES = 256;

const DSM_RANGE = defineBitLayout('DsmRange', DSM_RANGE_SIZE * 8, {
  cattr: { shift: 0, width: 32 },
  nlb: { shift: 32, width: 32 },
  slba: { shift: 64, width: 64 },
});

/** Encodes ranges into `buf` (default: a new buffer of 16 bytes per range). */
export function encodeDsmRanges(ranges: readonly DsmRange[], buf = Buffer.alloc(ranges.length * DSM_RANGE_SIZE)): Buffer {
  if (ranges.length < 1 || ranges.length > DSM_MAX_RANGES) {
    throw new RangeError(`Dataset Management takes 1 to ${DSM_MAX_RANGES} ranges, got ${ranges.length}`);
  }
  buf.fill(0, 0, ranges.length * DSM_RANGE_SIZE);
  ranges.forEach((r, i) => writeBitFields('DsmRange', DSM_RANGE, buf, i * DSM_RANGE_SIZE, { cattr: 0, ...r }));
  return buf;
}

/**
 * Writes one range (no context attributes) at `offset` without allocating, for
 * submitting trims per I/O; the same bytes as {@link encodeDsmRanges}. `slba` below 2^53.
 */
export function writeDsmRange(buf: Buffer, offset: number, slba: number, nlb: number): void {
  buf.writeUInt32LE(0, offset);
  buf.writeUInt32LE(nlb, offset + 4);
  writeAddress(buf, offset + 8, slba);
}

/** Decodes `count` ranges (default: as many as `buf` holds). */
export function decodeDsmRanges(buf: Buffer, count = Math.floor(buf.length / DSM_RANGE_SIZE)): Required<DsmRange>[] {
  if (count * DSM_RANGE_SIZE > buf.length) {
    throw new RangeError(`${count} ranges need ${count * DSM_RANGE_SIZE} bytes, got ${buf.length}`);
  }
  return Array.from({ length: count }, (_, i) => readBitFields(DSM_RANGE, buf, i * DSM_RANGE_SIZE));
}
