/**
 * A block device on a file or a block device node (SPDK's aio bdev, Linux
 * nvmet's file back end). Every read and write goes through libuv's thread
 * pool (`fs.read` / `fs.write` with callbacks), so the event loop never waits
 * for the medium. A completed write has reached the page cache: it survives
 * the target being killed; Flush (and so FUA, which the core turns into a
 * flush after the write) calls fdatasync to survive a power loss too.
 *
 * Write Zeroes and DSM deallocate punch holes (fallocate PUNCH_HOLE |
 * KEEP_SIZE through koffi) where the file system allows it, and write zeros
 * where it does not.
 */
import * as fs from 'node:fs';
import { ConfigError } from '../../spec/errors.js';
import { parseSize } from '../../cli/size.js';
import { BlockDeviceBase, type BdevCallback, type BdevReadCallback, type BlockDevice, type UnmapRange } from './block-device.js';
import { fileSystemCalls, type FileSystemCalls } from './file-syscalls.js';

export interface FileBlockDeviceOptions {
  /** A regular file (it must exist and be at least one block long) or a block device node. */
  filename: string;
  /** Device name (SPDK `bdev_aio_create` NAME). */
  name: string;
  /** Logical block size; default 512 (SPDK: detected, else 512). */
  blockSize?: number;
  /** Default: a random UUID. */
  uuid?: string;
  /** Where the one "cannot punch holes" line goes. */
  log?: (level: 'warn' | 'info', msg: string) => void;
}

/** A `PATH[:BS]` spec (the `--file` flag). */
export interface FileSpec {
  filename: string;
  /** Undefined when the spec gave none. */
  blockSize?: number;
}

/**
 * Parses `PATH[:BS]`: a path, optionally followed by `:` and a block size
 * (`4096`, `4k`). A colon followed by anything but a size stays part of the path.
 * @throws ConfigError naming `flag` for an empty path
 */
export function parseFileSpec(text: string, flag = '--file'): FileSpec {
  const colon = text.lastIndexOf(':');
  const suffix = colon >= 0 ? text.slice(colon + 1) : '';
  const spec: FileSpec = /^\d+[kK]?$/.test(suffix)
    ? { filename: text.slice(0, colon), blockSize: parseSize(suffix, flag) }
    : { filename: text };
  if (spec.filename.length === 0) throw new ConfigError(flag, `expected PATH[:BS] like /var/tmp/disk.img or /dev/sdb:4096, got '${text}'`);
  return spec;
}

/** Largest single write of zeros when holes cannot be punched. */
const ZERO_CHUNK = 1024 * 1024;
let zeroChunk: Buffer | null = null;
const EMPTY: Buffer = Buffer.alloc(0);
const NO_RANGES: readonly UnmapRange[] = [];

/**
 * The per-I/O state of a file command; pooled per device, callbacks bound
 * once. Reads and writes loop until every byte moved (pread and pwrite may
 * return short counts).
 */
class FileIo {
  buf = EMPTY;
  /** Bytes still to move and the file offset of the next one. */
  remaining = 0;
  position = 0;
  moved = 0;
  /** Ranges of an unmap or a zero-fill, walked one at a time. */
  ranges = NO_RANGES;
  rangeIndex = 0;
  done: BdevCallback | null = null;
  readDone: BdevReadCallback | null = null;
  readonly onRead: (err: NodeJS.ErrnoException | null, n: number) => void;
  readonly onWrite: (err: NodeJS.ErrnoException | null, n: number) => void;
  readonly onZeroWrite: (err: NodeJS.ErrnoException | null, n: number) => void;
  readonly onPunch: (err: Error | null) => void;

  constructor(dev: FileBlockDevice) {
    this.onRead = (err, n) => dev.readStep(this, err, n);
    this.onWrite = (err, n) => dev.writeStep(this, err, n);
    this.onZeroWrite = (err, n) => dev.zeroStep(this, err, n);
    this.onPunch = (err) => dev.punchStep(this, err);
  }
}

export class FileBlockDevice extends BlockDeviceBase implements BlockDevice {
  /** Writes complete once in the page cache: hosts must Flush (or FUA) for durability. */
  readonly volatileWriteCache = true;
  readonly supportsUnmap = true;
  readonly supportsWriteZeroes = true;
  /** Whether Write Zeroes and deallocate punch holes (else they write zeros). */
  readonly punchesHoles: boolean;
  /** Whether the caller chose the block size (SPDK `block_size_override`). */
  readonly blockSizeOverride: boolean;
  readonly filename: string;
  private fd: number;
  private readonly sys: FileSystemCalls | null;
  private readonly pool: FileIo[] = [];

  private constructor(fd: number, sizeBytes: number, opts: FileBlockDeviceOptions, sys: FileSystemCalls | null, isBlockDevice: boolean) {
    const blockSize = opts.blockSize ?? 512;
    super('AIO', { name: opts.name, blockSize, numBlocks: Math.max(1, Math.floor(sizeBytes / blockSize)), uuid: opts.uuid }, () => {
      if (sizeBytes < blockSize) throw new ConfigError('filename', `${opts.filename} holds ${sizeBytes} bytes, less than one ${blockSize}-byte block`);
    });
    this.filename = opts.filename;
    this.blockSizeOverride = opts.blockSize !== undefined;
    this.fd = fd;
    this.sys = sys;
    // A block device cannot be probed past its end; a request that fails to punch writes zeros instead.
    this.punchesHoles = sys !== null && (isBlockDevice || sys.canPunchHoles(fd, sizeBytes));
    if (!this.punchesHoles) opts.log?.('warn', `${this.name}: cannot punch holes in ${opts.filename}; Write Zeroes and deallocate write zeros`);
  }

  /**
   * Opens `filename` read-write and sizes the device from it.
   * @throws ConfigError when the file cannot be opened, is not a regular file or block device, or is too small
   */
  static async open(opts: FileBlockDeviceOptions): Promise<FileBlockDevice> {
    if (opts.name.length === 0) throw new ConfigError('name', 'a block device name cannot be empty');
    const fd = await new Promise<number>((resolve, reject) =>
      fs.open(opts.filename, fs.constants.O_RDWR, (err, fd) =>
        err ? reject(new ConfigError('filename', `cannot open ${opts.filename} read-write: ${err.code ?? err.message}`)) : resolve(fd),
      ),
    );
    try {
      const st = await new Promise<fs.Stats>((resolve, reject) => fs.fstat(fd, (err, s) => (err ? reject(err) : resolve(s))));
      if (!st.isFile() && !st.isBlockDevice()) throw new ConfigError('filename', `${opts.filename} is neither a regular file nor a block device`);
      const sys = fileSystemCalls(opts.log);
      let size = st.size;
      if (st.isBlockDevice()) {
        if (sys === null) throw new ConfigError('filename', `${opts.filename}: cannot size a block device without libc (koffi)`);
        size = sys.blockDeviceSize(fd);
      }
      return new FileBlockDevice(fd, size, opts, sys, st.isBlockDevice());
    } catch (err) {
      fs.close(fd, () => undefined);
      throw err;
    }
  }

  /** Reads into a new buffer per command: the interface hands it to the core to keep until sent. */
  read(lba: number, nlb: number, cb: BdevReadCallback): void {
    const io = this.take();
    io.buf = Buffer.allocUnsafe(nlb * this.blockSize);
    io.readDone = cb;
    io.position = lba * this.blockSize;
    io.moved = 0;
    io.remaining = io.buf.length;
    fs.read(this.fd, io.buf, 0, io.remaining, io.position, io.onRead);
  }

  write(lba: number, data: Buffer, cb: BdevCallback): void {
    const io = this.take();
    io.buf = data;
    io.done = cb;
    io.position = lba * this.blockSize;
    io.moved = 0;
    io.remaining = data.length;
    fs.write(this.fd, data, 0, io.remaining, io.position, io.onWrite);
  }

  flush(cb: BdevCallback): void {
    fs.fdatasync(this.fd, cb);
  }

  writeZeroes(lba: number, nlb: number, cb: BdevCallback): void {
    this.deallocate([{ lba, numBlocks: nlb }], cb);
  }

  unmap(ranges: readonly UnmapRange[], cb: BdevCallback): void {
    this.deallocate(ranges, cb);
  }

  close(cb: BdevCallback): void {
    const fd = this.fd;
    this.fd = -1;
    fs.close(fd, cb);
  }

  /** @internal */
  readStep(io: FileIo, err: NodeJS.ErrnoException | null, n: number): void {
    if (err === null && n === 0) err = new Error(`${this.name}: ${this.filename} ended at byte ${io.position}`);
    if (err) {
      this.finishRead(io, err);
      return;
    }
    io.moved += n;
    io.position += n;
    io.remaining -= n;
    if (io.remaining === 0) this.finishRead(io, null);
    else fs.read(this.fd, io.buf, io.moved, io.remaining, io.position, io.onRead);
  }

  /** @internal */
  writeStep(io: FileIo, err: NodeJS.ErrnoException | null, n: number): void {
    if (err) {
      this.finish(io, err);
      return;
    }
    io.moved += n;
    io.position += n;
    io.remaining -= n;
    if (io.remaining === 0) this.finish(io, null);
    else fs.write(this.fd, io.buf, io.moved, io.remaining, io.position, io.onWrite);
  }

  /** @internal one range deallocated by punching a hole; on failure the range is zero-filled instead. */
  punchStep(io: FileIo, err: Error | null): void {
    if (err) {
      this.zeroFill(io);
      return;
    }
    io.rangeIndex++;
    this.nextRange(io);
  }

  /** @internal */
  zeroStep(io: FileIo, err: NodeJS.ErrnoException | null, n: number): void {
    if (err) {
      this.finish(io, err);
      return;
    }
    io.position += n;
    io.remaining -= n;
    if (io.remaining > 0) {
      fs.write(this.fd, zeroChunk!, 0, Math.min(io.remaining, ZERO_CHUNK), io.position, io.onZeroWrite);
      return;
    }
    io.rangeIndex++;
    this.nextRange(io);
  }

  private deallocate(ranges: readonly UnmapRange[], cb: BdevCallback): void {
    const io = this.take();
    io.done = cb;
    io.ranges = ranges;
    io.rangeIndex = 0;
    this.nextRange(io);
  }

  private nextRange(io: FileIo): void {
    const range = io.ranges[io.rangeIndex];
    if (range === undefined) {
      this.finish(io, null);
      return;
    }
    io.position = range.lba * this.blockSize;
    io.remaining = range.numBlocks * this.blockSize;
    if (this.punchesHoles) this.sys!.punchHole(this.fd, io.position, io.remaining, io.onPunch);
    else this.zeroFill(io);
  }

  private zeroFill(io: FileIo): void {
    zeroChunk ??= Buffer.alloc(ZERO_CHUNK);
    fs.write(this.fd, zeroChunk, 0, Math.min(io.remaining, ZERO_CHUNK), io.position, io.onZeroWrite);
  }

  private take(): FileIo {
    return this.pool.pop() ?? new FileIo(this);
  }

  private finishRead(io: FileIo, err: Error | null): void {
    const cb = io.readDone!;
    const data = err ? null : io.buf;
    io.readDone = null;
    io.buf = EMPTY;
    this.pool.push(io);
    cb(err, data);
  }

  private finish(io: FileIo, err: Error | null): void {
    const cb = io.done!;
    io.done = null;
    io.buf = EMPTY;
    io.ranges = NO_RANGES;
    this.pool.push(io);
    cb(err);
  }
}
