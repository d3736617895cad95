/**
 * NVM command set I/O commands on a block device (Linux nvmet `io-cmd-bdev.c`,
 * SPDK `ctrlr_bdev.c`): Read, Write, Compare, Write Zeroes, Dataset Management
 * and Flush. One table entry per opcode; each command validates, calls the
 * device with the request's pre-bound callback and finishes in a step
 * function, so a command allocates nothing here (DSM's range list aside).
 */
import { DSM_RANGE_SIZE, DsmAttribute, decodeDsmRanges, IoCdw12Flag, readNlb, readSlba } from '../spec/commands.js';
import { IoOpcode } from '../spec/opcodes.js';
import { SqeOffset } from '../spec/sqe.js';
import type { BlockDevice, UnmapRange } from './bdev/block-device.js';
import { Status } from './command-status.js';
import type { Controller } from './controller.js';
import type { Namespace } from './namespace.js';
import type { RequestStep, TargetRequest } from './request.js';
import { sglDataLength } from './data-transfer.js';

/** Flush with this NSID flushes every namespace (Identify VWC bits 2:1 say so). */
export const NSID_ALL = 0xffffffff;

interface IoCommand {
  /** Whether the namespace's device can run it (else INVALID OPCODE, as the command is not in ONCS). */
  supported(bdev: BlockDevice): boolean;
  run(ctrl: Controller, ns: Namespace, req: TargetRequest, sqe: Buffer, data: Buffer | null): void;
}

const always = (): boolean => true;

/** Indexed by opcode. */
const IO_COMMANDS: (IoCommand | undefined)[] = [];
IO_COMMANDS[IoOpcode.READ] = { supported: always, run: read };
IO_COMMANDS[IoOpcode.WRITE] = { supported: always, run: write };
IO_COMMANDS[IoOpcode.COMPARE] = { supported: always, run: compare };
IO_COMMANDS[IoOpcode.FLUSH] = { supported: always, run: flush };
IO_COMMANDS[IoOpcode.WRITE_ZEROES] = { supported: (b) => b.supportsWriteZeroes, run: writeZeroes };
IO_COMMANDS[IoOpcode.DATASET_MANAGEMENT] = { supported: (b) => b.supportsUnmap, run: datasetManagement };

/** True when the namespace's device supports the I/O opcode (for ONCS and the effects log). */
export function ioCommandSupported(opc: number, bdev: BlockDevice): boolean {
  return IO_COMMANDS[opc]?.supported(bdev) ?? false;
}

/** The I/O opcodes this target implements. */
export const IO_OPCODES: readonly number[] = IO_COMMANDS.flatMap((c, opc) => (c ? [opc] : []));

export function executeIoCommand(ctrl: Controller, req: TargetRequest, sqe: Buffer, data: Buffer | null): void {
  if (!ctrl.ready) {
    req.complete(Status.COMMAND_SEQUENCE_ERROR);
    return;
  }
  const cmd = IO_COMMANDS[req.opc];
  if (cmd === undefined) {
    req.complete(Status.INVALID_OPCODE);
    return;
  }
  req.ctrlStats = ctrl.stats;
  if (req.opc === IoOpcode.FLUSH && req.nsid === NSID_ALL) {
    flushAll(ctrl, req);
    return;
  }
  const ns = ctrl.subsystem.namespaces.get(req.nsid);
  if (ns === undefined) {
    req.complete(Status.INVALID_NAMESPACE_OR_FORMAT);
    return;
  }
  if (!cmd.supported(ns.bdev)) {
    req.complete(Status.INVALID_OPCODE);
    return;
  }
  req.ns = ns;
  cmd.run(ctrl, ns, req, sqe, data);
}

/**
 * Reads SLBA and NLB into `req` and checks them: the transfer within MDTS
 * (`limitBytes`, 0 for commands that move no data) and the range within the
 * namespace. Completes `req` and returns false when a check fails.
 */
function takeRange(ns: Namespace, req: TargetRequest, sqe: Buffer, limitBytes: number): boolean {
  req.lba = readSlba(sqe);
  req.nlb = readNlb(sqe);
  req.bytes = req.nlb * ns.bdev.blockSize;
  if (limitBytes > 0 && req.bytes > limitBytes) {
    req.complete(Status.INVALID_FIELD);
    return false;
  }
  if (req.lba + req.nlb > ns.bdev.numBlocks) {
    req.complete(Status.LBA_OUT_OF_RANGE);
    return false;
  }
  return true;
}

/** Whether the write needs a flush after it: FUA, or the host turned the volatile write cache off. */
function needsFlush(ctrl: Controller, ns: Namespace, sqe: Buffer): boolean {
  if (!ns.bdev.volatileWriteCache) return false;
  return (sqe.readUInt32LE(SqeOffset.CDW12) & IoCdw12Flag.FUA) !== 0 || !ctrl.features.volatileWriteCache;
}

/** Completes `req` with the device's error and returns true when there is one. */
function bdevFailed(req: TargetRequest, err: Error | null): boolean {
  if (err === null) return false;
  req.owner.log('error', `${req.ns?.bdev.name ?? 'bdev'}: opc 0x${req.opc.toString(16)} lba ${req.lba} nlb ${req.nlb}: ${err.message}`);
  req.complete(Status.BDEV_ERROR);
  return true;
}

/** `takeRange` for the commands that carry host data (Write, Compare): `data` must hold exactly the blocks. */
function takeRangeAndData(ctrl: Controller, ns: Namespace, req: TargetRequest, sqe: Buffer, data: Buffer | null): data is Buffer {
  if (!takeRange(ns, req, sqe, ctrl.info.maxIoSize)) return false;
  if (data === null || data.length !== req.bytes) {
    req.complete(Status.DATA_SGL_LENGTH_INVALID);
    return false;
  }
  return true;
}

/**
 * Starts the flush a write owes (FUA, or the host turned the write cache off)
 * with `step` to run after it; false when none is owed.
 */
function flushOwed(req: TargetRequest, step: RequestStep): boolean {
  if (!req.flushAfterWrite) return false;
  req.flushAfterWrite = false;
  req.next = step;
  req.ns!.bdev.flush(req.onDone);
  return true;
}

function read(ctrl: Controller, ns: Namespace, req: TargetRequest, sqe: Buffer): void {
  if (!takeRange(ns, req, sqe, ctrl.info.maxIoSize)) return;
  if (sglDataLength(sqe) !== req.bytes) {
    req.complete(Status.DATA_SGL_LENGTH_INVALID);
    return;
  }
  req.next = readDone;
  ns.bdev.read(req.lba, req.nlb, req.onRead);
}

function readDone(req: TargetRequest, err: Error | null, data: Buffer | null): void {
  if (bdevFailed(req, err)) return;
  req.ns!.stats.countRead(req.bytes);
  req.ctrlStats!.countRead(req.bytes);
  req.complete(Status.SUCCESS, 0, data);
}

function write(ctrl: Controller, ns: Namespace, req: TargetRequest, sqe: Buffer, data: Buffer | null): void {
  if (!takeRangeAndData(ctrl, ns, req, sqe, data)) return;
  req.flushAfterWrite = needsFlush(ctrl, ns, sqe);
  req.next = writeDone;
  ns.bdev.write(req.lba, data, req.onDone);
}

function writeDone(req: TargetRequest, err: Error | null): void {
  if (bdevFailed(req, err) || flushOwed(req, writeDone)) return;
  req.ns!.stats.countWrite(req.bytes);
  req.ctrlStats!.countWrite(req.bytes);
  req.complete(Status.SUCCESS);
}

function compare(ctrl: Controller, ns: Namespace, req: TargetRequest, sqe: Buffer, data: Buffer | null): void {
  if (!takeRangeAndData(ctrl, ns, req, sqe, data)) return;
  req.hostData = data;
  req.next = compareRead;
  ns.bdev.read(req.lba, req.nlb, req.onRead);
}

function compareRead(req: TargetRequest, err: Error | null, data: Buffer | null): void {
  if (bdevFailed(req, err)) return;
  req.ns!.stats.countRead(req.bytes);
  req.ctrlStats!.countRead(req.bytes);
  req.complete(data!.equals(req.hostData!) ? Status.SUCCESS : Status.COMPARE_FAILURE);
}

function writeZeroes(ctrl: Controller, ns: Namespace, req: TargetRequest, sqe: Buffer): void {
  if (!takeRange(ns, req, sqe, 0)) return;
  req.flushAfterWrite = needsFlush(ctrl, ns, sqe);
  req.next = writeZeroesDone;
  ns.bdev.writeZeroes(req.lba, req.nlb, req.onDone);
}

function writeZeroesDone(req: TargetRequest, err: Error | null): void {
  if (bdevFailed(req, err) || flushOwed(req, writeZeroesDone)) return;
  req.ns!.stats.writeZeroesOps++;
  req.ctrlStats!.writeZeroesOps++;
  req.complete(Status.SUCCESS);
}

function datasetManagement(_ctrl: Controller, ns: Namespace, req: TargetRequest, sqe: Buffer, data: Buffer | null): void {
  const numRanges = (sqe.readUInt32LE(SqeOffset.CDW10) & 0xff) + 1;
  if (data === null || data.length < numRanges * DSM_RANGE_SIZE) {
    req.complete(Status.DATA_SGL_LENGTH_INVALID);
    return;
  }
  if ((sqe.readUInt32LE(SqeOffset.CDW11) & DsmAttribute.DEALLOCATE) === 0) {
    // Only access hints: nothing to do.
    req.complete(Status.SUCCESS);
    return;
  }
  const ranges: UnmapRange[] = [];
  let blocks = 0;
  for (const r of decodeDsmRanges(data, numRanges)) {
    if (r.nlb === 0) continue;
    if (r.slba + r.nlb > ns.bdev.numBlocks) {
      req.lba = r.slba;
      req.complete(Status.LBA_OUT_OF_RANGE);
      return;
    }
    ranges.push({ lba: r.slba, numBlocks: r.nlb });
    blocks += r.nlb;
  }
  req.bytes = blocks * ns.bdev.blockSize;
  if (ranges.length === 0) {
    req.complete(Status.SUCCESS);
    return;
  }
  req.next = unmapDone;
  ns.bdev.unmap(ranges, req.onDone);
}

function unmapDone(req: TargetRequest, err: Error | null): void {
  if (bdevFailed(req, err)) return;
  req.ns!.stats.countUnmap(req.bytes);
  req.ctrlStats!.countUnmap(req.bytes);
  req.complete(Status.SUCCESS);
}

/** Flush: only devices with a volatile write cache have anything to do (SPDK completes the rest at once). */
function flush(_ctrl: Controller, ns: Namespace, req: TargetRequest): void {
  if (!ns.bdev.volatileWriteCache) {
    flushDone(req, null);
    return;
  }
  req.next = flushDone;
  ns.bdev.flush(req.onDone);
}

function flushDone(req: TargetRequest, err: Error | null): void {
  if (bdevFailed(req, err)) return;
  req.ns!.stats.flushOps++;
  req.ctrlStats!.flushOps++;
  req.complete(Status.SUCCESS);
}

/** Flush with NSID FFFFFFFFh: every namespace with a volatile cache, completing when the last one answers. */
function flushAll(ctrl: Controller, req: TargetRequest): void {
  const devices = [...ctrl.subsystem.namespaces.values()].filter((ns) => ns.bdev.volatileWriteCache).map((ns) => ns.bdev);
  req.ctrlStats!.flushOps++;
  if (devices.length === 0) {
    req.complete(Status.SUCCESS);
    return;
  }
  req.pending = devices.length;
  req.fanoutStatus = Status.SUCCESS;
  for (const bdev of devices) {
    req.next = flushAllStep;
    bdev.flush(req.onDone);
  }
}

function flushAllStep(req: TargetRequest, err: Error | null): void {
  if (err) {
    req.owner.log('error', `flush of every namespace: ${err.message}`);
    req.fanoutStatus = Status.BDEV_ERROR;
  }
  req.pending--;
  if (req.pending === 0) req.complete(req.fanoutStatus);
  else req.next = flushAllStep;
}
