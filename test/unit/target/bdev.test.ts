import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../../src/spec/errors.js';
import { MallocBlockDevice } from '../../../src/target/bdev/malloc.js';
import { NullBlockDevice } from '../../../src/target/bdev/null.js';

function readSync(dev: MallocBlockDevice | NullBlockDevice, lba: number, nlb: number): Buffer {
  let out: Buffer | null = null;
  dev.read(lba, nlb, (err, data) => {
    expect(err).toBeNull();
    out = data;
  });
  return out!;
}

function call(fn: (cb: (err: Error | null) => void) => void): Error | null {
  let result: Error | null | undefined;
  fn((err) => (result = err));
  expect(result).not.toBeUndefined();
  return result!;
}

describe('MallocBlockDevice', () => {
  it('keeps what was written, zeroes on Write Zeroes and on unmap', () => {
    const dev = new MallocBlockDevice({ name: 'm', numBlocks: 16, blockSize: 4096 });
    expect([dev.blockSize, dev.numBlocks, dev.volatileWriteCache, dev.supportsUnmap, dev.supportsWriteZeroes]).toEqual([4096, 16, true, true, true]);
    const data = Buffer.alloc(3 * 4096);
    for (let i = 0; i < data.length; i++) data[i] = (i % 251) + 1;
    expect(call((cb) => dev.write(2, data, cb))).toBeNull();
    expect(readSync(dev, 2, 3).equals(data)).toBe(true);
    expect(readSync(dev, 1, 1).equals(Buffer.alloc(4096))).toBe(true);
    expect(call((cb) => dev.writeZeroes(3, 1, cb))).toBeNull();
    expect(readSync(dev, 3, 1).equals(Buffer.alloc(4096))).toBe(true);
    expect(readSync(dev, 4, 1).equals(data.subarray(8192))).toBe(true);
    expect(call((cb) => dev.unmap([{ lba: 2, numBlocks: 1 }, { lba: 4, numBlocks: 1 }], cb))).toBeNull();
    expect(readSync(dev, 2, 3).equals(Buffer.alloc(3 * 4096))).toBe(true);
    expect(call((cb) => dev.flush(cb))).toBeNull();
  });

  it('reads are views: no copy per read', () => {
    const dev = new MallocBlockDevice({ numBlocks: 4 });
    const a = readSync(dev, 0, 4);
    const b = readSync(dev, 1, 1);
    expect(a.buffer).toBe(b.buffer);
    expect(b.byteOffset - a.byteOffset).toBe(512);
  });

  it('defaults its name and UUID and checks its geometry', () => {
    const dev = new MallocBlockDevice({ numBlocks: 1 });
    expect(dev.name).toMatch(/^Malloc\d+$/);
    expect(dev.uuid).toMatch(/^[0-9a-f-]{36}$/);
    expect(() => new MallocBlockDevice({ numBlocks: 1, blockSize: 1000 })).toThrow(ConfigError);
    expect(() => new MallocBlockDevice({ numBlocks: 0 })).toThrow(/numBlocks/);
    expect(() => new MallocBlockDevice({ numBlocks: 1, uuid: 'nope' })).toThrow(/uuid/);
    expect(() => new MallocBlockDevice({ numBlocks: 2 ** 40 })).toThrow(ConfigError);
  });

  it('numbers default names per kind; a device that failed its checks takes no number', () => {
    const number = (name: string) => Number(/\d+$/.exec(name)![0]);
    const first = new MallocBlockDevice({ numBlocks: 1 });
    expect(() => new MallocBlockDevice({ numBlocks: 2 ** 40, blockSize: 65536 })).toThrow(/malloc device holds at most/);
    new NullBlockDevice({ numBlocks: 1 });
    const second = new MallocBlockDevice({ numBlocks: 1 });
    expect(number(second.name)).toBe(number(first.name) + 1);
  });
});

describe('NullBlockDevice', () => {
  it('reads zeros from one shared buffer and discards writes', () => {
    const a = new NullBlockDevice({ numBlocks: 1 << 20, blockSize: 512 });
    const b = new NullBlockDevice({ numBlocks: 1 << 20, blockSize: 4096 });
    expect(call((cb) => a.write(0, Buffer.alloc(512, 0xff), cb))).toBeNull();
    const r1 = readSync(a, 0, 8);
    expect(r1.equals(Buffer.alloc(4096))).toBe(true);
    const r2 = readSync(b, 7, 1);
    expect(r2.length).toBe(4096);
    expect(r2.buffer).toBe(r1.buffer);
    expect(readSync(b, 0, 64).equals(Buffer.alloc(64 * 4096))).toBe(true);
  });

  it('has SPDK null bdev capabilities: Write Zeroes yes, unmap and cache no', () => {
    const dev = new NullBlockDevice({ numBlocks: 8 });
    expect([dev.volatileWriteCache, dev.supportsUnmap, dev.supportsWriteZeroes]).toEqual([false, false, true]);
    expect(call((cb) => dev.writeZeroes(0, 8, cb))).toBeNull();
    expect(call((cb) => dev.flush(cb))).toBeNull();
    expect(call((cb) => dev.unmap([{ lba: 0, numBlocks: 1 }], cb))).toBeInstanceOf(Error);
    expect(dev.name).toMatch(/^Null\d+$/);
  });
});
