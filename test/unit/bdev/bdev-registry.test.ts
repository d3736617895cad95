import { closeSync, ftruncateSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { ConfigError } from '../../../src/spec/errors.js';
import { BdevRegistry } from '../../../src/target/bdev/bdev-registry.js';
import { TICK_RATE } from '../../../src/target/bdev/iostat.js';
import { NvmfTarget } from '../../../src/target/target.js';
import type { Subsystem } from '../../../src/target/subsystem.js';

const VECTORS = fileURLToPath(new URL('../../../../shared/vectors/', import.meta.url));
const SPDK_BDEVS = JSON.parse(readFileSync(join(VECTORS, 'spdk/spdk_tgt_bdevs.json'), 'utf8')) as Record<string, unknown>[];
const SPDK_CONFIG = JSON.parse(readFileSync(join(VECTORS, 'spdk/spdk_tgt_save_config.json'), 'utf8')) as {
  subsystems: { subsystem: string; config: { method: string; params?: Record<string, unknown> }[] }[];
};

let target: NvmfTarget;
let subsystem: Subsystem;
let bdevs: BdevRegistry;

beforeEach(() => {
  target = new NvmfTarget();
  subsystem = target.createSubsystem({ nqn: 'nqn.2016-06.io.nvmekit:cnode1', allowAnyHost: true });
  bdevs = new BdevRegistry(target);
});

/** Key paths and JSON types of a value, for comparing shapes. */
function shape(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(shape);
  if (v !== null && typeof v === 'object') return Object.entries(v).map(([k, x]) => [k, shape(x)]);
  return typeof v;
}

function run(fn: (cb: (err: Error | null) => void) => void): Promise<void> {
  return new Promise((resolve, reject) => fn((e) => (e ? reject(e) : resolve())));
}

describe('BdevRegistry: bdev_get_bdevs', () => {
  it('describes a claimed malloc device with the keys, order and types SPDK returned', () => {
    const spdk = SPDK_BDEVS[0]!;
    const name = bdevs.createMalloc({ name: 'Malloc0', numBlocks: 524288, blockSize: 512, uuid: spdk.uuid as string });
    subsystem.addNamespace(bdevs.get(name)!);
    const [ours] = bdevs.getBdevs();
    expect(shape(ours)).toEqual(shape(spdk));
    const { supported_io_types: _ourIo, ...ourRest } = ours!;
    const { supported_io_types: _spdkIo, ...spdkRest } = spdk;
    expect(ourRest).toEqual(spdkRest);
  });

  it('reports what each kind supports and its driver_specific object; claim_type only when claimed', () => {
    bdevs.createNull({ name: 'Null0', numBlocks: 100, blockSize: 4096 });
    bdevs.createMalloc({ name: 'Malloc1', numBlocks: 64 });
    bdevs.createDelay({ baseBdevName: 'Malloc1', name: 'Delay0', avgReadLatencyUs: 10, p99ReadLatencyUs: 20, avgWriteLatencyUs: 30, p99WriteLatencyUs: 40 });
    bdevs.createMalloc({ name: 'Malloc2', numBlocks: 64 });
    bdevs.createError({ baseName: 'Malloc2' });
    const info = Object.fromEntries(bdevs.getBdevs().map((b) => [b.name, b]));
    expect(Object.keys(info)).toEqual(['Null0', 'Malloc1', 'Delay0', 'Malloc2', 'EE_Malloc2']);
    expect(info.Null0).toMatchObject({ product_name: 'Null disk', block_size: 4096, num_blocks: 100, claimed: false, driver_specific: {} });
    expect('claim_type' in info.Null0!).toBe(false);
    expect(info.Null0!.supported_io_types).toMatchObject({ read: true, write: true, unmap: false, flush: false, write_zeroes: true, zcopy: false });
    expect(info.Malloc1).toMatchObject({ claimed: true, claim_type: 'exclusive_write' });
    expect(info.Delay0).toMatchObject({
      product_name: 'delay',
      claimed: false,
      driver_specific: { delay: { name: 'Delay0', base_bdev_name: 'Malloc1', avg_read_latency: 10, p99_read_latency: 20, avg_write_latency: 30, p99_write_latency: 40 } },
    });
    expect(info.EE_Malloc2).toMatchObject({ product_name: 'Error Injection Disk', driver_specific: { error_disk: { base_bdev: 'Malloc2' } } });
    expect(bdevs.getBdevs(info.Delay0!.uuid).map((b) => b.name)).toEqual(['Delay0']);
    expect(() => bdevs.getBdevs('nope')).toThrow(/no block device 'nope'/);
  });

  it('names malloc and null devices as SPDK does when no name is given, skipping taken names', () => {
    bdevs.createMalloc({ name: 'Malloc1', numBlocks: 8 });
    expect([bdevs.createMalloc({ numBlocks: 8 }), bdevs.createMalloc({ numBlocks: 8 }), bdevs.createNull({ numBlocks: 8 })]).toEqual(['Malloc0', 'Malloc2', 'Null0']);
  });
});

describe('BdevRegistry: create and delete', () => {
  it('refuses duplicate names, unknown bases and claimed bases', () => {
    bdevs.createMalloc({ name: 'M', numBlocks: 8 });
    expect(() => bdevs.createNull({ name: 'M', numBlocks: 8 })).toThrow(/already exists/);
    expect(() => bdevs.createNull({ name: 'N', numBlocks: 8, uuid: bdevs.get('M')!.uuid.toUpperCase() })).toThrow(/uuid: a block device with UUID/);
    expect(() => bdevs.createError({ baseName: 'X' })).toThrow(/base_name: no block device 'X'/);
    subsystem.addNamespace(bdevs.get('M')!);
    expect(bdevs.isClaimed('M')).toBe(true);
    expect(() => bdevs.createDelay({ baseBdevName: 'M', name: 'D', avgReadLatencyUs: 1, p99ReadLatencyUs: 1, avgWriteLatencyUs: 1, p99WriteLatencyUs: 1 })).toThrow(
      /base_bdev_name: block device 'M' is already claimed/,
    );
    expect(() => bdevs.injectError('M', { ioType: 'read', errorType: 'failure' })).toThrow(/no error injection device 'M'/);
  });

  it('deleting a device hot-removes the namespaces and virtual devices standing on it', async () => {
    bdevs.createMalloc({ name: 'Base', numBlocks: 8 });
    const ee = bdevs.createError({ baseName: 'Base' });
    const nsid = subsystem.addNamespace(bdevs.get(ee)!);
    bdevs.createMalloc({ name: 'Other', numBlocks: 8 });
    subsystem.addNamespace(bdevs.get('Other')!);
    await expect(bdevs.delete('Base', 'null')).rejects.toThrow(/no null block device 'Base'/);
    await bdevs.delete('Base', 'malloc');
    expect(bdevs.list().map((e) => e.bdev.name)).toEqual(['Other']);
    expect(subsystem.namespaces.has(nsid)).toBe(false);
    expect([...subsystem.namespaces.values()].map((ns) => ns.bdev.name)).toEqual(['Other']);
    await expect(bdevs.delete('Base')).rejects.toThrow(ConfigError);
  });

  it('closes a device with a medium only after its outstanding commands completed', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'nvmekit-registry-'));
    try {
      const path = join(dir, 'disk.img');
      const fd = openSync(path, 'w');
      ftruncateSync(fd, 1 << 20);
      closeSync(fd);
      await bdevs.createAio({ filename: path, name: 'AIO0' });
      const dev = bdevs.get('AIO0')!;
      const inner = dev.inner;
      const close = inner.close.bind(inner);
      const inflightAtClose: number[] = [];
      vi.spyOn(inner, 'close').mockImplementation((cb) => {
        inflightAtClose.push(dev.inflight);
        close(cb);
      });
      const results: (Error | null)[] = [];
      for (let i = 0; i < 8; i++) dev.read(i * 256, 256, (err) => results.push(err));
      expect(dev.inflight).toBe(8);
      await bdevs.delete('AIO0');
      expect(results).toEqual(Array(8).fill(null));
      expect(inflightAtClose).toEqual([0]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('deleting an error device fails the I/O a pending injection holds instead of waiting for it', async () => {
    bdevs.createMalloc({ name: 'Base', numBlocks: 8 });
    bdevs.createError({ baseName: 'Base' });
    bdevs.injectError('EE_Base', { ioType: 'write', errorType: 'pending' });
    let result: Error | null | undefined;
    bdevs.get('EE_Base')!.write(0, Buffer.alloc(512), (err) => (result = err));
    expect(result).toBeUndefined();
    await bdevs.delete('EE_Base', 'error');
    expect(result?.name).toBe('InjectedIoError');
    expect(bdevs.list().map((e) => e.bdev.name)).toEqual(['Base']);
  });

  it('creates and deletes an aio device on a file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'nvmekit-registry-'));
    try {
      const path = join(dir, 'disk.img');
      const fd = openSync(path, 'w');
      ftruncateSync(fd, 1 << 20);
      closeSync(fd);
      expect(await bdevs.createAio({ filename: path, name: 'AIO0', blockSize: 4096 })).toBe('AIO0');
      await expect(bdevs.createAio({ filename: path, name: 'AIO0' })).rejects.toThrow(/already exists/);
      const [info] = bdevs.getBdevs('AIO0');
      expect(info).toMatchObject({ product_name: 'AIO disk', block_size: 4096, num_blocks: 256, driver_specific: { aio: { filename: path, block_size_override: true, readonly: false } } });
      await bdevs.delete('AIO0', 'aio');
      expect(bdevs.list()).toEqual([]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('BdevRegistry: bdev_get_iostat', () => {
  it('counts reads, writes and unmaps with bytes and latencies, in SPDK keys', async () => {
    bdevs.createMalloc({ name: 'M', numBlocks: 64 });
    bdevs.createNull({ name: 'N', numBlocks: 64 });
    const m = bdevs.get('M')!;
    await run((cb) => m.write(0, Buffer.alloc(4096, 1), cb));
    await run((cb) => m.write(8, Buffer.alloc(512, 1), cb));
    await run((cb) => m.read(0, 2, cb));
    await run((cb) => m.unmap([{ lba: 0, numBlocks: 4 }, { lba: 10, numBlocks: 2 }], cb));
    await run((cb) => m.flush(cb));
    await expect(run((cb) => bdevs.get('N')!.unmap([{ lba: 0, numBlocks: 1 }], cb))).rejects.toThrow();
    const stat = bdevs.getIostat();
    expect(stat.tick_rate).toBe(TICK_RATE);
    expect(stat.ticks).toBeGreaterThan(0);
    const [ms, ns] = stat.bdevs;
    expect(ms).toMatchObject({
      name: 'M',
      bytes_read: 1024,
      num_read_ops: 1,
      bytes_written: 4608,
      num_write_ops: 2,
      bytes_unmapped: 3072,
      num_unmap_ops: 1,
      bytes_copied: 0,
      num_copy_ops: 0,
      io_error: {},
    });
    expect(ms!.max_write_latency_ticks).toBeGreaterThanOrEqual(ms!.min_write_latency_ticks);
    expect(ms!.write_latency_ticks).toBeGreaterThanOrEqual(ms!.max_write_latency_ticks);
    expect(ms!.min_copy_latency_ticks).toBe(0);
    expect(ns).toMatchObject({ name: 'N', num_unmap_ops: 0, io_error: { failed: 1 } });
    expect(Object.keys(ms!)).toEqual([
      'name', 'bytes_read', 'num_read_ops', 'bytes_written', 'num_write_ops', 'bytes_unmapped', 'num_unmap_ops', 'bytes_copied', 'num_copy_ops',
      'read_latency_ticks', 'max_read_latency_ticks', 'min_read_latency_ticks', 'write_latency_ticks', 'max_write_latency_ticks', 'min_write_latency_ticks',
      'unmap_latency_ticks', 'max_unmap_latency_ticks', 'min_unmap_latency_ticks', 'copy_latency_ticks', 'max_copy_latency_ticks', 'min_copy_latency_ticks', 'io_error',
    ]);
    expect(bdevs.getIostat('N').bdevs.map((b) => b.name)).toEqual(['N']);
  });

  it('counts the I/O a virtual device sends to its base on the base too', async () => {
    bdevs.createMalloc({ name: 'M', numBlocks: 64 });
    bdevs.createError({ baseName: 'M' });
    await run((cb) => bdevs.get('EE_M')!.write(0, Buffer.alloc(512), cb));
    expect(bdevs.getIostat().bdevs.map((b) => [b.name, b.num_write_ops])).toEqual([
      ['M', 1],
      ['EE_M', 1],
    ]);
  });
});

describe('BdevRegistry: save_config', () => {
  it('writes the malloc create call with the params SPDK saved, and replays into the same devices', () => {
    const spdkMalloc = SPDK_CONFIG.subsystems.find((s) => s.subsystem === 'bdev')!.config.find((c) => c.method === 'bdev_malloc_create')!;
    const p = spdkMalloc.params!;
    bdevs.createMalloc({ name: p.name as string, numBlocks: p.num_blocks as number, blockSize: p.block_size as number, uuid: p.uuid as string });
    bdevs.createError({ baseName: 'Malloc0' });
    const saved = bdevs.saveConfig();
    expect(saved[0]).toEqual(spdkMalloc);
    expect(saved[1]).toEqual({ method: 'bdev_error_create', params: { base_name: 'Malloc0', uuid: bdevs.get('EE_Malloc0')!.uuid } });
    const replayed = new BdevRegistry(new NvmfTarget());
    replayed.createMalloc({ name: p.name as string, numBlocks: p.num_blocks as number, blockSize: p.block_size as number, uuid: p.uuid as string });
    replayed.createError({ baseName: saved[1]!.params.base_name as string, uuid: saved[1]!.params.uuid as string });
    expect(replayed.getBdevs()).toEqual(bdevs.getBdevs());
  });
});
