/**
 * Saved configurations: save then load reproduces the same state, and the
 * configuration SPDK's nvmf_tgt wrote loads (what this target lacks reported
 * once each) and serves its subsystem to nvmekit's host.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { connect } from '../../src/index.js';
import { RpcError } from '../../src/target/rpc/rpc-errors.js';
import { exportMallocSubsystem, startRpcTarget, trid, type RpcTarget } from './rpc-fixture.js';

const VECTORS = fileURLToPath(new URL('../../../shared/vectors/spdk/', import.meta.url));
const SPDK_NQN = 'nqn.2016-06.io.spdk:cnode1';

const targets: RpcTarget[] = [];
const dirs: string[] = [];
afterEach(async () => {
  for (const t of targets.splice(0)) await t.close();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

async function target(): Promise<RpcTarget> {
  const t = await startRpcTarget();
  targets.push(t);
  return t;
}

/** A port nothing listens on now. */
async function freePort(): Promise<string> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as { port: number }).port;
  await new Promise<void>((r) => s.close(() => r()));
  return String(port);
}

describe('save_config / load_config', () => {
  it('loading a saved configuration reproduces the same state', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'nvmekit-cfg-'));
    dirs.push(dir);
    writeFileSync(join(dir, 'disk.img'), Buffer.alloc(256 * 1024));
    const a = await target();
    await a.call('nvmf_create_transport', { trtype: 'TCP', in_capsule_data_size: 8192, max_io_size: 65536, c2h_success: false });
    const nqn = 'nqn.2016-06.io.nvmekit:saved';
    const port = await exportMallocSubsystem(a, nqn, { allowAnyHost: false });
    await a.call('nvmf_subsystem_add_host', { nqn, host: 'nqn.2014-08.org.nvmexpress:uuid:aaaaaaaa-0000-0000-0000-000000000001' });
    await a.call('bdev_aio_create', { filename: join(dir, 'disk.img'), name: 'File0', block_size: 4096 });
    await a.call('bdev_null_create', { name: 'Null0', num_blocks: 100, block_size: 512 });
    await a.call('bdev_delay_create', { base_bdev_name: 'Null0', name: 'Slow0', avg_read_latency: 5, p99_read_latency: 50, avg_write_latency: 6, p99_write_latency: 60 });
    await a.call('nvmf_subsystem_add_ns', { nqn, namespace: { bdev_name: 'File0', nsid: 3, nguid: '00112233445566778899AABBCCDDEEFF' } });
    await a.call('nvmf_subsystem_add_ns', { nqn, namespace: { bdev_name: 'Slow0' } });
    await a.call('nvmf_subsystem_add_listener', {
      nqn: 'nqn.2014-08.org.nvmexpress.discovery',
      listen_address: { trtype: 'TCP', adrfam: 'IPv4', traddr: '127.0.0.1', trsvcid: port },
    });
    await a.call('nvmf_create_subsystem', { nqn: 'nqn.2016-06.io.nvmekit:empty', serial_number: 'E1', model_number: 'Empty' });
    const saved = await a.call('save_config');
    const subsystems = await a.call('nvmf_get_subsystems');
    const bdevs = await a.call('bdev_get_bdevs');
    await a.close();
    targets.splice(targets.indexOf(a), 1);

    const b = await target();
    expect(await b.call('load_config', saved as Record<string, unknown>)).toBe(true);
    expect(b.warnings).toEqual([]);
    expect(await b.call('save_config')).toEqual(saved);
    expect(await b.call('nvmf_get_subsystems')).toEqual(subsystems);
    expect(await b.call('bdev_get_bdevs')).toEqual(bdevs);
    // And it serves: the host reads and writes namespace 3 (the file) through the restored listener.
    const c = await connect(trid(port, nqn), { hostnqn: 'nqn.2014-08.org.nvmexpress:uuid:aaaaaaaa-0000-0000-0000-000000000001' });
    const qp = await c.allocIoQpair();
    const data = Buffer.alloc(4096, 0xa5);
    await qp.writeAsync(3, 7, 1, data);
    const back = Buffer.alloc(4096);
    await qp.readAsync(3, 7, 1, back);
    expect(back.equals(data)).toBe(true);
    await c.detach();
  });

  it("loads SPDK's saved configuration, reports what it skips once each, and serves its subsystem", async () => {
    const port = await freePort();
    const text = readFileSync(join(VECTORS, 'spdk_tgt_save_config.json'), 'utf8').replaceAll('"trsvcid": "4420"', `"trsvcid": "${port}"`);
    const t = await target();
    expect(await t.call('load_config', JSON.parse(text) as Record<string, unknown>)).toBe(true);
    expect(t.warnings.sort()).toEqual(
      [
        'skipped subsystem scheduler (1 call): not supported by this target',
        'skipped subsystem sock (3 calls): not supported by this target',
        'skipped subsystem iobuf (1 call): not supported by this target',
        'skipped subsystem accel (1 call): not supported by this target',
        'skipped bdev_set_options in subsystem bdev: not supported by this target',
        'skipped bdev_raid_set_options in subsystem bdev: not supported by this target',
        'skipped bdev_nvme_set_options in subsystem bdev: not supported by this target',
        'skipped bdev_nvme_set_hotplug in subsystem bdev: not supported by this target',
        'skipped nvmf_set_config in subsystem nvmf: not supported by this target',
        'skipped nvmf_set_max_subsystems in subsystem nvmf: not supported by this target',
        'skipped nvmf_set_crdt in subsystem nvmf: not supported by this target',
      ].sort(),
    );
    const spdk = JSON.parse(readFileSync(join(VECTORS, 'spdk_tgt_subsystems.json'), 'utf8').replaceAll('"trsvcid": "4420"', `"trsvcid": "${port}"`)) as Record<string, unknown>[];
    const { dmrsl: _d, wzsl: _w, ...spdkCnode1 } = spdk[1]!;
    expect(await t.call('nvmf_get_subsystems')).toEqual([spdk[0], spdkCnode1]);
    const c = await connect(trid(port, SPDK_NQN));
    expect(c.data.sn.trim()).toBe('SPDK00000000000001');
    expect(c.data.mn.trim()).toBe('SPDK_Controller1');
    const qp = await c.allocIoQpair();
    const data = Buffer.alloc(512, 0x42);
    await qp.writeAsync(1, 524287, 1, data);
    const back = Buffer.alloc(512);
    await qp.readAsync(1, 524287, 1, back);
    expect(back.equals(data)).toBe(true);
    await c.detach();
  });

  it('stops at the first failing call and names it', async () => {
    const t = await target();
    const config = {
      subsystems: [
        { subsystem: 'bdev', config: [{ method: 'bdev_malloc_create', params: { name: 'M', num_blocks: 8 } }, { method: 'bdev_malloc_create', params: { name: 'M', num_blocks: 8 } }] },
      ],
    };
    const err = await t.call('load_config', config).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RpcError);
    expect((err as RpcError).message).toBe("subsystems[0] (bdev) config[1] bdev_malloc_create: Invalid parameters: name: a block device named 'M' already exists");
  });
});
