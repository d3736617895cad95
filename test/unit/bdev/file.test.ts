import { spawnSync } from 'node:child_process';
import { mkdtempSync, openSync, readFileSync, rmSync, statSync, writeFileSync, ftruncateSync, closeSync, fsyncSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { decodeCqe, type Cqe } from '../../../src/spec/cqe.js';
import { ConfigError } from '../../../src/spec/errors.js';
import { IoOpcode } from '../../../src/spec/opcodes.js';
import type { BdevCallback, BdevReadCallback, UnmapRange } from '../../../src/target/bdev/block-device.js';
import { FileBlockDevice, parseFileSpec } from '../../../src/target/bdev/file.js';
import { NvmfTarget } from '../../../src/target/target.js';
import { blockSqe, connectIo, enableController, SUBNQN, statusOf } from '../target/harness.js';

let dir: string;
let devices: FileBlockDevice[] = [];

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'nvmekit-file-bdev-'));
});

afterEach(async () => {
  for (const d of devices) await new Promise((r) => d.close(r));
  devices = [];
  rmSync(dir, { recursive: true, force: true });
});

/** A sparse file of `bytes` and the device on it. */
async function open(bytes: number, blockSize?: number): Promise<{ dev: FileBlockDevice; path: string }> {
  const path = join(dir, `disk-${devices.length}.img`);
  const fd = openSync(path, 'w');
  ftruncateSync(fd, bytes);
  closeSync(fd);
  const dev = await FileBlockDevice.open({ filename: path, name: `AIO${devices.length}`, blockSize });
  devices.push(dev);
  return { dev, path };
}

function done(fn: (cb: BdevCallback) => void): Promise<void> {
  return new Promise((resolve, reject) => fn((err) => (err ? reject(err) : resolve())));
}

function read(dev: FileBlockDevice, lba: number, nlb: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const cb: BdevReadCallback = (err, data) => (err ? reject(err) : resolve(Buffer.from(data!)));
    dev.read(lba, nlb, cb);
  });
}

function pattern(bytes: number, seed: number): Buffer {
  const b = Buffer.alloc(bytes);
  for (let i = 0; i < bytes; i++) b[i] = (i * 31 + seed) % 251 || 1;
  return b;
}

describe('FileBlockDevice', () => {
  it('sizes the device from the file and the block size, with a volatile cache, unmap and Write Zeroes', async () => {
    const { dev } = await open(1024 * 1024 + 100, 4096);
    expect([dev.blockSize, dev.numBlocks, dev.volatileWriteCache, dev.supportsUnmap, dev.supportsWriteZeroes]).toEqual([4096, 256, true, true, true]);
    const { dev: d512 } = await open(64 * 1024);
    expect([d512.blockSize, d512.numBlocks, d512.blockSizeOverride]).toEqual([512, 128, false]);
  });

  it('puts a completed write in the file (readable through another descriptor) and reads it back', async () => {
    const { dev, path } = await open(64 * 1024);
    const data = pattern(3 * 512, 7);
    await done((cb) => dev.write(5, data, cb));
    expect(readFileSync(path).subarray(5 * 512, 8 * 512).equals(data)).toBe(true);
    expect((await read(dev, 5, 3)).equals(data)).toBe(true);
    expect((await read(dev, 0, 5)).equals(Buffer.alloc(5 * 512))).toBe(true);
  });

  it('hands each read its own buffer: a later read does not change an earlier result', async () => {
    const { dev } = await open(8192);
    await done((cb) => dev.write(0, pattern(512, 1), cb));
    await done((cb) => dev.write(1, pattern(512, 2), cb));
    const first = await new Promise<Buffer>((resolve) => dev.read(0, 1, (_e, d) => resolve(d!)));
    const second = await new Promise<Buffer>((resolve) => dev.read(1, 1, (_e, d) => resolve(d!)));
    expect(first.equals(pattern(512, 1))).toBe(true);
    expect(second.equals(pattern(512, 2))).toBe(true);
  });

  it('runs many writes and reads concurrently without mixing them up', async () => {
    const { dev } = await open(256 * 512);
    await Promise.all(Array.from({ length: 64 }, (_, i) => done((cb) => dev.write(i * 4, pattern(4 * 512, i), cb))));
    const back = await Promise.all(Array.from({ length: 64 }, (_, i) => read(dev, i * 4, 4)));
    back.forEach((b, i) => expect(b.equals(pattern(4 * 512, i))).toBe(true));
  });

  it('flushes with fdatasync: completes without error after writes', async () => {
    const { dev, path } = await open(8192);
    await done((cb) => dev.write(2, pattern(1024, 3), cb));
    await done((cb) => dev.flush(cb));
    expect(readFileSync(path).subarray(1024, 2048).equals(pattern(1024, 3))).toBe(true);
  });

  it('Write Zeroes and unmap zero exactly the blocks named, and punch holes where the file system can', async () => {
    const size = 4 * 1024 * 1024;
    const { dev, path } = await open(size, 4096);
    await done((cb) => dev.write(0, pattern(size, 9), cb));
    await done((cb) => dev.flush(cb));
    const allocated = statSync(path).blocks;
    await done((cb) => dev.writeZeroes(1, 2, cb));
    const ranges: UnmapRange[] = [
      { lba: 10, numBlocks: 1 },
      { lba: 256, numBlocks: 512 },
    ];
    await done((cb) => dev.unmap(ranges, cb));
    const file = readFileSync(path);
    const expected = pattern(size, 9);
    for (const [lba, n] of [[1, 2], [10, 1], [256, 512]] as const) expected.fill(0, lba * 4096, (lba + n) * 4096);
    expect(file.equals(expected)).toBe(true);
    if (dev.punchesHoles) {
      // 515 blocks of 4 KiB deallocated: the file lost at least 2 MiB of storage (stat counts 512-byte units).
      expect(allocated - statSync(path).blocks).toBeGreaterThanOrEqual((512 * 4096) / 512);
    } else {
      // The file system cannot punch holes here; the zeros above were written instead.
      expect(dev.punchesHoles).toBe(false);
    }
  });

  it('refuses a missing file, a directory and a file smaller than one block', async () => {
    await expect(FileBlockDevice.open({ filename: join(dir, 'nope'), name: 'x' })).rejects.toThrow(ConfigError);
    await expect(FileBlockDevice.open({ filename: dir, name: 'x' })).rejects.toThrow(/neither a regular file nor a block device|cannot open/);
    const small = join(dir, 'small');
    writeFileSync(small, Buffer.alloc(100));
    await expect(FileBlockDevice.open({ filename: small, name: 'x' })).rejects.toThrow(/less than one 512-byte block/);
    await expect(FileBlockDevice.open({ filename: small, name: 'x', blockSize: 1000 })).rejects.toThrow(/blockSize/);
  });
});

/** Attaching a loop device needs root and /dev/loop-control; elsewhere the block device test is skipped. */
const LOOP_POSSIBLE = process.getuid?.() === 0 && spawnSync('losetup', ['--version']).status === 0;

describe('FileBlockDevice on a block device', () => {
  it.skipIf(!LOOP_POSSIBLE)('sizes a loop device with BLKGETSIZE64 and reads, writes and deallocates on it', async (ctx) => {
    const backing = join(dir, 'loop.img');
    writeFileSync(backing, pattern(8 * 1024 * 1024, 4));
    const attach = spawnSync('losetup', ['--find', '--show', backing], { encoding: 'utf8' });
    if (attach.status !== 0) ctx.skip();
    const node = attach.stdout.trim();
    try {
      const dev = await FileBlockDevice.open({ filename: node, name: 'Loop', blockSize: 4096 });
      devices.push(dev);
      expect([dev.numBlocks, dev.blockSize]).toEqual([2048, 4096]);
      await done((cb) => dev.write(3, Buffer.alloc(4096, 0xaa), cb));
      await done((cb) => dev.unmap([{ lba: 4, numBlocks: 2 }], cb));
      await done((cb) => dev.flush(cb));
      const back = await read(dev, 3, 4);
      const expected = pattern(8 * 1024 * 1024, 4).subarray(3 * 4096, 7 * 4096);
      expected.fill(0xaa, 0, 4096);
      expected.fill(0, 4096, 3 * 4096);
      expect(back.equals(expected)).toBe(true);
    } finally {
      for (const d of devices.splice(0)) await new Promise((r) => d.close(r));
      spawnSync('losetup', ['-d', node]);
    }
  });
});

describe('parseFileSpec', () => {
  it('reads PATH and PATH:BS, keeping other colons in the path', () => {
    expect(parseFileSpec('/var/tmp/disk.img')).toEqual({ filename: '/var/tmp/disk.img' });
    expect(parseFileSpec('/dev/sdb:4096')).toEqual({ filename: '/dev/sdb', blockSize: 4096 });
    expect(parseFileSpec('/tmp/a:4k')).toEqual({ filename: '/tmp/a', blockSize: 4096 });
    expect(parseFileSpec('/tmp/a:b/c')).toEqual({ filename: '/tmp/a:b/c' });
    expect(() => parseFileSpec(':512')).toThrow(/--file: expected PATH\[:BS\]/);
  });
});

describe('a file namespace behind the target', () => {
  it('a FUA write completes with the data in the file; Flush succeeds', async () => {
    const path = join(dir, 'ns.img');
    const fd = openSync(path, 'w');
    ftruncateSync(fd, 1024 * 1024);
    fsyncSync(fd);
    closeSync(fd);
    const dev = await FileBlockDevice.open({ filename: path, name: 'AIO0' });
    devices.push(dev);
    const target = new NvmfTarget();
    target.addListener({ trtype: 'TCP', adrfam: 'IPv4', traddr: '127.0.0.1', trsvcid: '4420' });
    target.createSubsystem({ nqn: SUBNQN, allowAnyHost: true }).addNamespace(dev);
    const { cntlid } = enableController(target);
    const { io } = connectIo(target, cntlid);
    const data = pattern(1024, 5);
    const cqe = await new Promise<Cqe>((resolve) => io.qp.execute(blockSqe(IoOpcode.WRITE, 1, 4, 2, { fua: true }), data, (raw) => resolve(decodeCqe(raw))));
    expect(statusOf(cqe)).toBe('0/0x00');
    expect(readFileSync(path).subarray(2048, 3072).equals(data)).toBe(true);
    target.close();
  });
});
