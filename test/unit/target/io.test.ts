import { describe, expect, it } from 'vitest';
import { encodeDsmRanges, DatasetManagement, encodeCommand } from '../../../src/spec/commands.js';
import { FeatureId } from '../../../src/spec/features.js';
import { Cns } from '../../../src/spec/identify.js';
import { parseIdentifyController } from '../../../src/spec/identify-controller.js';
import { IoOpcode } from '../../../src/spec/opcodes.js';
import { decodeCsts, Register } from '../../../src/spec/registers.js';
import { GenericStatus, MediaStatus, StatusCodeType } from '../../../src/spec/status.js';
import { decodeCqe } from '../../../src/spec/cqe.js';
import { LogPageId, parseErrorLog, parseSmartLog } from '../../../src/spec/log-pages.js';
import { SqeOffset } from '../../../src/spec/sqe.js';
import type { CommandFailure } from '../../../src/target/transport/transport.js';
import type { BdevCallback, BdevReadCallback, BlockDevice, UnmapRange } from '../../../src/target/bdev/block-device.js';
import { MallocBlockDevice } from '../../../src/target/bdev/malloc.js';
import { NullBlockDevice } from '../../../src/target/bdev/null.js';
import {
  blockSqe,
  CC_ENABLE,
  connectAdmin,
  connectData,
  connectionInfo,
  connectIo,
  connectSqe,
  enableController,
  getLogPageSqe,
  HostQueue,
  identifySqe,
  makeTarget,
  propertyGet,
  propertySet,
  setFeaturesSqe,
  st,
  statusOf,
  SUBNQN,
  withInCapsuleSgl,
  type Completion,
} from './harness.js';

const OK = '0/0x00';

function pattern(bytes: number, seed: number): Buffer {
  const b = Buffer.alloc(bytes);
  for (let i = 0; i < bytes; i++) b[i] = (i * 7 + seed) & 0xff;
  return b;
}

function dsmSqe(nsid: number, ranges: { slba: number; nlb: number }[], deallocate = true): { sqe: Buffer; data: Buffer } {
  const sqe = encodeCommand(DatasetManagement, Buffer.alloc(64), { nsid, nr: ranges.length, ad: deallocate });
  return { sqe: withInCapsuleSgl(sqe, ranges.length * 16), data: encodeDsmRanges(ranges) };
}

function setup() {
  const t = makeTarget();
  const { admin, cntlid } = enableController(t.target);
  const { io } = connectIo(t.target, cntlid);
  return { ...t, admin, cntlid, io };
}

describe('the path a host takes', () => {
  it('Connect, enable, Identify, Set Features, I/O Connect, then write, read back, compare, zero, deallocate, flush', () => {
    const { target, subsystem } = makeTarget();
    const { admin, cntlid } = connectAdmin(target);
    expect(propertyGet(admin, Register.CAP, 8).value & 0xffffn).toBe(127n);
    expect(statusOf(propertySet(admin, Register.CC, 4, CC_ENABLE))).toBe(OK);
    expect(decodeCsts(Number(propertyGet(admin, Register.CSTS, 4).value)).rdy).toBe(true);
    expect(parseIdentifyController(admin.run(identifySqe(Cns.CONTROLLER)).data!).cntlid).toBe(cntlid);
    expect(admin.run(setFeaturesSqe(FeatureId.NUMBER_OF_QUEUES, 0)).cdw0).toBe(0);
    const { io, completion } = connectIo(target, cntlid, 1);
    expect(statusOf(completion)).toBe(OK);

    const data = pattern(8 * 512, 3);
    expect(statusOf(io.run(blockSqe(IoOpcode.WRITE, 1, 100, 8), data))).toBe(OK);
    const read = io.run(blockSqe(IoOpcode.READ, 1, 100, 8));
    expect(statusOf(read)).toBe(OK);
    expect(read.data!.equals(data)).toBe(true);

    expect(statusOf(io.run(blockSqe(IoOpcode.COMPARE, 1, 100, 8), data))).toBe(OK);
    const other = Buffer.from(data);
    other[4095] ^= 1;
    const mismatch = io.run(blockSqe(IoOpcode.COMPARE, 1, 100, 8), other);
    expect(statusOf(mismatch)).toBe(st(2, MediaStatus.COMPARE_FAILURE));
    expect(mismatch.dnr).toBe(true);

    expect(statusOf(io.run(blockSqe(IoOpcode.WRITE_ZEROES, 1, 100, 2)))).toBe(OK);
    const afterZero = io.run(blockSqe(IoOpcode.READ, 1, 100, 8)).data!;
    expect(afterZero.subarray(0, 1024).equals(Buffer.alloc(1024))).toBe(true);
    expect(afterZero.subarray(1024).equals(data.subarray(1024))).toBe(true);

    const dsm = dsmSqe(1, [{ slba: 104, nlb: 2 }, { slba: 106, nlb: 2 }]);
    expect(statusOf(io.run(dsm.sqe, dsm.data))).toBe(OK);
    expect(io.run(blockSqe(IoOpcode.READ, 1, 104, 4)).data!.equals(Buffer.alloc(2048))).toBe(true);
    expect(io.run(blockSqe(IoOpcode.READ, 1, 102, 2)).data!.equals(data.subarray(1024, 2048))).toBe(true);

    const flush = Buffer.alloc(64);
    flush.writeUInt32LE(1, 4);
    expect(statusOf(io.run(flush))).toBe(OK);

    const ns = subsystem.namespaces.get(1)!;
    expect(ns.stats).toMatchObject({ writeOps: 1, bytesWritten: 4096, unmapOps: 1, bytesUnmapped: 2048, writeZeroesOps: 1, flushOps: 1 });
    // Four reads and two compares.
    expect(ns.stats.readOps).toBe(6);
  });
});

describe('I/O errors', () => {
  it('names a bad or inactive NSID INVALID NAMESPACE OR FORMAT', () => {
    const { io } = setup();
    expect(statusOf(io.run(blockSqe(IoOpcode.READ, 0, 0, 1)))).toBe(st(0, GenericStatus.INVALID_NAMESPACE_OR_FORMAT));
    expect(statusOf(io.run(blockSqe(IoOpcode.READ, 2, 0, 1)))).toBe(st(0, GenericStatus.INVALID_NAMESPACE_OR_FORMAT));
    expect(statusOf(io.run(blockSqe(IoOpcode.WRITE, 0xffffffff, 0, 1), Buffer.alloc(512)))).toBe(
      st(0, GenericStatus.INVALID_NAMESPACE_OR_FORMAT),
    );
  });

  it('refuses a range past the end with LBA OUT OF RANGE', () => {
    const { io } = setup();
    expect(statusOf(io.run(blockSqe(IoOpcode.READ, 1, 2047, 1)))).toBe(OK);
    expect(statusOf(io.run(blockSqe(IoOpcode.READ, 1, 2047, 2)))).toBe(st(0, GenericStatus.LBA_OUT_OF_RANGE));
    expect(statusOf(io.run(blockSqe(IoOpcode.WRITE_ZEROES, 1, 2048, 1)))).toBe(st(0, GenericStatus.LBA_OUT_OF_RANGE));
    const dsm = dsmSqe(1, [{ slba: 2040, nlb: 9 }]);
    expect(statusOf(io.run(dsm.sqe, dsm.data))).toBe(st(0, GenericStatus.LBA_OUT_OF_RANGE));
    expect(statusOf(io.run(blockSqe(IoOpcode.READ, 1, 2 ** 40, 1)))).toBe(st(0, GenericStatus.LBA_OUT_OF_RANGE));
  });

  it('wants the data length to match NLB: DATA SGL LENGTH INVALID', () => {
    const { io } = setup();
    const invalid = st(0, GenericStatus.DATA_SGL_LENGTH_INVALID);
    expect(statusOf(io.run(blockSqe(IoOpcode.WRITE, 1, 0, 2), Buffer.alloc(512)))).toBe(invalid);
    expect(statusOf(io.run(blockSqe(IoOpcode.WRITE, 1, 0, 1), null))).toBe(invalid);
    expect(statusOf(io.run(blockSqe(IoOpcode.READ, 1, 0, 2, { sglBytes: 512 })))).toBe(invalid);
    expect(statusOf(io.run(blockSqe(IoOpcode.COMPARE, 1, 0, 1), Buffer.alloc(1024)))).toBe(invalid);
    const dsm = dsmSqe(1, [{ slba: 0, nlb: 1 }, { slba: 8, nlb: 1 }]);
    expect(statusOf(io.run(dsm.sqe, dsm.data.subarray(0, 16)))).toBe(invalid);
  });

  it('refuses a transfer above MDTS with INVALID FIELD', () => {
    const { io } = setup();
    // 257 blocks of 512 bytes is one block more than the 128 KiB the connection allows.
    expect(statusOf(io.run(blockSqe(IoOpcode.READ, 1, 0, 257)))).toBe(st(0, GenericStatus.INVALID_FIELD));
    expect(statusOf(io.run(blockSqe(IoOpcode.READ, 1, 0, 256)))).toBe(OK);
    expect(statusOf(io.run(blockSqe(IoOpcode.WRITE, 1, 0, 257), Buffer.alloc(257 * 512)))).toBe(st(0, GenericStatus.INVALID_FIELD));
  });

  it('unknown opcodes, and commands the device cannot do, are INVALID OPCODE', () => {
    const { io, subsystem } = setup();
    const verify = blockSqe(IoOpcode.VERIFY, 1, 0, 1);
    expect(statusOf(io.run(verify))).toBe(st(0, GenericStatus.INVALID_OPCODE));
    subsystem.addNamespace(new NullBlockDevice({ numBlocks: 64 }), 2);
    const dsm = dsmSqe(2, [{ slba: 0, nlb: 1 }]);
    expect(statusOf(io.run(dsm.sqe, dsm.data))).toBe(st(0, GenericStatus.INVALID_OPCODE));
  });
});

/** A device that records calls and answers when told (async), or fails. */
class ScriptedDevice implements BlockDevice {
  readonly name = 'Scripted0';
  readonly blockSize = 512;
  readonly numBlocks = 64;
  readonly uuid = '5a0c0b2e-1d2f-4e3a-9b4c-000000000001';
  readonly volatileWriteCache = true;
  readonly supportsUnmap = true;
  readonly supportsWriteZeroes = true;
  readonly calls: string[] = [];
  readonly waiting: (() => void)[] = [];
  failWith: Error | null = null;
  throwOnRead = false;

  private later(fn: () => void): void {
    this.waiting.push(fn);
  }
  read(lba: number, nlb: number, cb: BdevReadCallback): void {
    if (this.throwOnRead) throw new Error('read exploded');
    this.calls.push(`read ${lba} ${nlb}`);
    this.later(() => cb(this.failWith, this.failWith ? null : Buffer.alloc(nlb * 512, 0x5a)));
  }
  write(lba: number, data: Buffer, cb: BdevCallback): void {
    this.calls.push(`write ${lba} ${data.length}`);
    this.later(() => cb(this.failWith));
  }
  flush(cb: BdevCallback): void {
    this.calls.push('flush');
    this.later(() => cb(this.failWith));
  }
  writeZeroes(lba: number, nlb: number, cb: BdevCallback): void {
    this.calls.push(`zeroes ${lba} ${nlb}`);
    this.later(() => cb(this.failWith));
  }
  unmap(ranges: readonly UnmapRange[], cb: BdevCallback): void {
    this.calls.push(`unmap ${ranges.map((r) => `${r.lba}+${r.numBlocks}`).join(',')}`);
    this.later(() => cb(this.failWith));
  }
  close(cb: BdevCallback): void {
    cb(null);
  }
  /** Runs every pending callback, including ones queued while running. */
  drain(): void {
    while (this.waiting.length > 0) this.waiting.shift()!();
  }
}

describe('with an asynchronous device', () => {
  function scripted() {
    const t = makeTarget();
    const dev = new ScriptedDevice();
    t.subsystem.addNamespace(dev, 2);
    const { admin, cntlid } = enableController(t.target);
    const { io } = connectIo(t.target, cntlid);
    return { ...t, dev, admin, io };
  }

  it('completes when the device calls back, in the device order, with SQHD counting completions', () => {
    const { io, dev } = scripted();
    expect(io.send(blockSqe(IoOpcode.READ, 2, 0, 1))).toBeUndefined();
    expect(io.send(blockSqe(IoOpcode.READ, 2, 1, 1))).toBeUndefined();
    expect(io.completions).toHaveLength(1);
    dev.drain();
    expect(io.completions.slice(1).map((c) => c.sqhd)).toEqual([2, 3]);
    expect(io.completions[1]!.data!.equals(Buffer.alloc(512, 0x5a))).toBe(true);
  });

  it('FUA adds a flush after the write; so does a write cache the host turned off', () => {
    const { io, dev, admin } = scripted();
    io.send(blockSqe(IoOpcode.WRITE, 2, 0, 1, { fua: true }), Buffer.alloc(512));
    dev.drain();
    expect(dev.calls).toEqual(['write 0 512', 'flush']);
    expect(statusOf(io.completions.at(-1)!)).toBe(OK);
    io.send(blockSqe(IoOpcode.WRITE, 2, 0, 1), Buffer.alloc(512));
    dev.drain();
    expect(dev.calls.slice(2)).toEqual(['write 0 512']);
    admin.run(setFeaturesSqe(FeatureId.VOLATILE_WRITE_CACHE, 0));
    io.send(blockSqe(IoOpcode.WRITE, 2, 0, 1), Buffer.alloc(512));
    dev.drain();
    expect(dev.calls.slice(3)).toEqual(['write 0 512', 'flush']);
  });

  it('Flush of NSID FFFFFFFFh flushes every namespace with a write cache', () => {
    const { io, dev, subsystem } = scripted();
    const second = new ScriptedDevice();
    subsystem.addNamespace(second, 3);
    const flush = Buffer.alloc(64);
    flush.writeUInt32LE(0xffffffff, 4);
    expect(io.send(flush)).toBeUndefined();
    dev.drain();
    expect(io.completions).toHaveLength(1);
    second.drain();
    expect(statusOf(io.completions.at(-1)!)).toBe(OK);
    expect([dev.calls, second.calls]).toEqual([['flush'], ['flush']]);
  });

  it('a device error is INTERNAL DEVICE ERROR without DNR', () => {
    const { io, dev } = scripted();
    dev.failWith = new Error('EIO');
    io.send(blockSqe(IoOpcode.READ, 2, 0, 1));
    dev.drain();
    const c = io.completions.at(-1)!;
    expect(statusOf(c)).toBe(st(0, GenericStatus.INTERNAL_ERROR));
    expect(c.dnr).toBe(false);
  });

  it('a device that throws fails only that command; other queue pairs keep working', () => {
    const { io, dev, target, subsystem } = scripted();
    const other = enableController(target);
    const otherIo = connectIo(target, other.cntlid).io;
    dev.throwOnRead = true;
    const c = io.run(blockSqe(IoOpcode.READ, 2, 0, 1));
    expect(statusOf(c)).toBe(st(0, GenericStatus.INTERNAL_ERROR));
    expect(c.dnr).toBe(true);
    expect(statusOf(otherIo.run(blockSqe(IoOpcode.READ, 1, 0, 1)))).toBe(OK);
    expect(statusOf(io.run(blockSqe(IoOpcode.READ, 1, 0, 1)))).toBe(OK);
    expect(subsystem.controllers.size).toBe(2);
  });

  it('a command still running when the connection closes completes once, so the transport can free its buffers', () => {
    const { io, dev, subsystem } = scripted();
    io.send(blockSqe(IoOpcode.WRITE, 2, 0, 1), Buffer.alloc(512));
    io.qp.close('peer reset');
    expect(subsystem.controllers.get(1)!.ioQueueCount).toBe(0);
    expect(io.completions).toHaveLength(1);
    dev.drain();
    expect(io.completions).toHaveLength(2);
  });
});

describe('malloc reads', () => {
  it('hand the transport a view of the device memory, not a copy', () => {
    const bdev = new MallocBlockDevice({ numBlocks: 4 });
    let first: Buffer | null = null;
    bdev.read(1, 1, (_e, d) => (first = d));
    bdev.write(1, Buffer.alloc(512, 9), () => {});
    expect(first!.equals(Buffer.alloc(512, 9))).toBe(true);
  });
});

describe('commands the transport fails itself', () => {
  function failThrough(q: HostQueue, sqe: Buffer, status: CommandFailure): Completion[] {
    const seen: Completion[] = [];
    q.qp.fail(sqe, status, (cqe, data) => seen.push({ ...decodeCqe(cqe), data }));
    return seen;
  }

  it('complete like any failed command: SQHD advances, the error log and the counters record them', () => {
    const { target } = makeTarget();
    const { admin, cntlid } = enableController(target);
    const { io, completion } = connectIo(target, cntlid);
    const sqe = blockSqe(IoOpcode.WRITE, 1, 0, 8);
    sqe.writeUInt16LE(77, SqeOffset.CID);
    const seen = failThrough(io, sqe, { sct: StatusCodeType.GENERIC, sc: GenericStatus.TRANSIENT_TRANSPORT_ERROR });
    expect(seen).toHaveLength(1);
    expect(seen[0]).toMatchObject({ cid: 77, sqid: 1, sqhd: (completion.sqhd + 1) % 128, sc: GenericStatus.TRANSIENT_TRANSPORT_ERROR, dnr: false, data: null });
    const log = parseErrorLog(admin.run(getLogPageSqe(LogPageId.ERROR_INFORMATION, 64)).data!);
    expect(log[0]).toMatchObject({ error_count: 1n, sqid: 1, cmdid: 77, opcode: IoOpcode.WRITE, nsid: 1 });
    expect(log[0]!.status_field >> 1).toBe(GenericStatus.TRANSIENT_TRANSPORT_ERROR);
    expect(parseSmartLog(admin.run(getLogPageSqe(LogPageId.SMART_HEALTH, 512)).data!).num_err_log_entries).toBe(1n);
    // The next command the core executes reports the SQHD after the failed one.
    expect(io.run(blockSqe(IoOpcode.READ, 1, 0, 1)).sqhd).toBe((completion.sqhd + 2) % 128);
  });

  it('before Connect: SQID 0, DNR as given, and no controller to log it', () => {
    const { target } = makeTarget();
    const q = new HostQueue(target.createQueuePair(connectionInfo()));
    const sqe = connectSqe(0, 31);
    sqe.writeUInt16LE(5, SqeOffset.CID);
    const [c] = failThrough(q, sqe, { sct: StatusCodeType.GENERIC, sc: GenericStatus.SGL_OFFSET_INVALID, dnr: true });
    expect(c).toMatchObject({ cid: 5, sqid: 0, sqhd: 0, sc: GenericStatus.SGL_OFFSET_INVALID, dnr: true });
    // The queue still takes its Connect afterwards.
    expect(statusOf(q.run(connectSqe(0, 31), connectData(SUBNQN)))).toBe(OK);
  });
});
