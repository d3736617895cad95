/**
 * Every method over the socket, with good parameters (results in SPDK's
 * shapes) and bad ones (the error code, and a message naming the parameter).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { connect } from '../../src/index.js';
import { RpcError } from '../../src/target/rpc/rpc-errors.js';
import { NVMEKIT_VERSION } from '../../src/version.js';
import { exportMallocSubsystem, startRpcTarget, trid, type RpcTarget } from './rpc-fixture.js';

const VECTORS = fileURLToPath(new URL('../../../shared/vectors/spdk/', import.meta.url));
const NQN = 'nqn.2016-06.io.nvmekit:cnode7';
const HOST = 'nqn.2014-08.org.nvmexpress:uuid:11111111-2222-3333-4444-555555555555';
const LOOPBACK = { trtype: 'TCP', adrfam: 'IPv4', traddr: '127.0.0.1', trsvcid: '0' };

let t: RpcTarget;
beforeEach(async () => {
  t = await startRpcTarget();
});
afterEach(async () => {
  await t.close();
});

async function rpcError(method: string, params?: Record<string, unknown>): Promise<{ code: number; message: string }> {
  try {
    await t.call(method, params);
  } catch (err) {
    expect(err).toBeInstanceOf(RpcError);
    return { code: (err as RpcError).code, message: (err as RpcError).message };
  }
  throw new Error(`${method} succeeded`);
}

/** Keys of an object in order. */
const keys = (o: unknown): string[] => Object.keys(o as object);

describe('framework methods', () => {
  it('spdk_get_version has SPDK shape', async () => {
    const spdk = JSON.parse(readFileSync(join(VECTORS, 'spdk_tgt_version.json'), 'utf8')) as { fields: object };
    const v = (await t.call('spdk_get_version')) as { version: string; fields: object };
    expect(keys(v)).toEqual(['version', 'fields']);
    expect(v.version).toBe(`nvmekit v${NVMEKIT_VERSION}`);
    expect(keys(v.fields)).toEqual(keys(spdk.fields).filter((k) => k !== 'commit'));
    expect(await rpcError('spdk_get_version', { x: 1 })).toEqual({ code: -32602, message: 'Invalid parameters: x: unknown parameter' });
  });

  it('rpc_get_methods lists every method, and with current only those callable now', async () => {
    const all = (await t.call('rpc_get_methods')) as string[];
    for (const m of ['nvmf_create_transport', 'bdev_error_inject_error', 'save_config', 'framework_start_init']) expect(all).toContain(m);
    const current = (await t.call('rpc_get_methods', { current: true })) as string[];
    expect(current).not.toContain('framework_start_init');
    expect(current).toContain('nvmf_get_subsystems');
    expect(await rpcError('rpc_get_methods', { current: 'yes' })).toEqual({ code: -32602, message: 'Invalid parameters: current: expected a boolean, got "yes"' });
  });

  it('framework_wait_init, framework_get_subsystems and framework_get_config', async () => {
    expect(await t.call('framework_wait_init')).toBe(true);
    expect(await t.call('framework_get_subsystems')).toEqual([
      { subsystem: 'bdev', depends_on: [] },
      { subsystem: 'nvmf', depends_on: ['bdev'] },
    ]);
    await t.call('bdev_null_create', { name: 'N0', num_blocks: 128, block_size: 4096 });
    expect(await t.call('framework_get_config', { name: 'bdev' })).toEqual([
      { method: 'bdev_null_create', params: expect.objectContaining({ name: 'N0', num_blocks: 128, block_size: 4096 }) },
    ]);
    expect(await rpcError('framework_get_config', { name: 'scsi' })).toEqual({ code: -32602, message: "Invalid parameters: name: expected one of bdev, nvmf, got 'scsi'" });
    expect(await rpcError('framework_get_config')).toMatchObject({ code: -32602, message: expect.stringContaining('name: missing') });
  });

  it('load_config refuses a malformed configuration', async () => {
    expect(await rpcError('load_config', { subsystems: [{ subsystem: 'bdev', config: [{ params: {} }] }] })).toEqual({
      code: -32602,
      message: 'Invalid parameters: subsystems[0] (bdev) config[0]: expected { method, params }',
    });
    expect(await rpcError('load_config', {})).toMatchObject({ code: -32602, message: expect.stringContaining('subsystems: missing') });
  });
});

describe('nvmf transport and subsystems', () => {
  it('nvmf_create_transport takes the TCP options by SPDK name; nvmf_get_transports shows them in SPDK order', async () => {
    expect(await t.call('nvmf_create_transport', { trtype: 'tcp', max_queue_depth: 64, in_capsule_data_size: 8192, c2h_success: false, zcopy: false })).toBe(true);
    const spdk = JSON.parse(readFileSync(join(VECTORS, 'spdk_tgt_transports.json'), 'utf8')) as object[];
    const [tr] = (await t.call('nvmf_get_transports')) as Record<string, unknown>[];
    expect(tr).toMatchObject({ trtype: 'TCP', max_queue_depth: 64, in_capsule_data_size: 8192, c2h_success: false, max_io_size: 131072, max_io_qpairs_per_ctrlr: 127 });
    // Our keys are SPDK's, in SPDK's relative order (SPDK has more).
    const ours = keys(tr).filter((k) => k in spdk[0]!);
    expect(ours).toEqual(keys(spdk[0]).filter((k) => ours.includes(k)));
    expect(await rpcError('nvmf_create_transport', { trtype: 'TCP' })).toEqual({ code: -17, message: "Transport type 'TCP' already exists" });
  });

  it.each([
    [{}, -32602, 'trtype: missing required parameter'],
    [{ trtype: 'RDMA', max_queue_depth: 8192 }, -32602, 'max_queue_depth: expected an integer from 2 to 4096, got 8192'],
    [{ trtype: 'TCP', max_queue_depth: 1 }, -32602, 'max_queue_depth: expected an integer from 2 to 65536, got 1'],
    [{ trtype: 'TCP', max_io_size: 5000 }, -32602, 'max_io_size: expected a power of two, got 5000'],
    [{ trtype: 'TCP', max_io_qpairs_per_ctrlr: 4 }, -32602, 'max_io_qpairs_per_ctrlr: expected 127'],
    [{ trtype: 'TCP', c2h_success: 1 }, -32602, 'c2h_success: expected a boolean, got 1'],
  ])('nvmf_create_transport %j fails', async (params, code, text) => {
    const e = await rpcError('nvmf_create_transport', params);
    expect(e.code).toBe(code);
    expect(e.message).toContain(text);
  });

  it('nvmf_create_subsystem / nvmf_get_subsystems / nvmf_delete_subsystem', async () => {
    expect(await t.call('nvmf_create_subsystem', { nqn: NQN, serial_number: 'SN7', model_number: 'Model 7', max_namespaces: 8 })).toBe(true);
    const spdk = JSON.parse(readFileSync(join(VECTORS, 'spdk_tgt_subsystems.json'), 'utf8')) as object[];
    const list = (await t.call('nvmf_get_subsystems')) as Record<string, unknown>[];
    expect(list.map((s) => s.nqn)).toEqual(['nqn.2014-08.org.nvmexpress.discovery', NQN]);
    expect(keys(list[0])).toEqual(keys(spdk[0]));
    // SPDK's field order, leaving out the two limits this target does not have.
    expect(keys(list[1])).toEqual(keys(spdk[1]).filter((k) => k !== 'dmrsl' && k !== 'wzsl'));
    expect(list[1]).toMatchObject({ subtype: 'NVMe', serial_number: 'SN7', model_number: 'Model 7', max_namespaces: 8, allow_any_host: false, listen_addresses: [], namespaces: [] });
    expect(await t.call('nvmf_get_subsystems', { nqn: NQN })).toHaveLength(1);
    expect(await rpcError('nvmf_create_subsystem', { nqn: NQN })).toMatchObject({ code: -32602, message: expect.stringContaining('already exists') });
    expect(await t.call('nvmf_delete_subsystem', { nqn: NQN })).toBe(true);
    expect(await rpcError('nvmf_get_subsystems', { nqn: NQN })).toMatchObject({ code: -32602, message: expect.stringContaining('nqn: Unable to find subsystem') });
  });

  it.each([
    [{ nqn: 'bad' }, "nqn: expected 'nqn.yyyy-mm.reverse.domain:name'"],
    [{ nqn: NQN, serial_number: 'x'.repeat(21) }, 'serial_number: expected printable ASCII of at most 20 characters'],
    [{ nqn: NQN, model_number: 'é' }, 'model_number: expected printable ASCII of at most 40 characters'],
    [{ nqn: NQN, max_namespaces: -1 }, 'max_namespaces: expected an integer from 0 to 1024'],
    [{ nqn: NQN, ana_reporting: true }, 'ana_reporting: expected false (the only value this target supports)'],
    [{ nqn: NQN, allow_any_host: 'true' }, 'allow_any_host: expected a boolean'],
  ])('nvmf_create_subsystem %j fails naming the parameter', async (params, text) => {
    const e = await rpcError('nvmf_create_subsystem', params);
    expect(e.code).toBe(-32602);
    expect(e.message).toContain(text);
  });

  it('nvmf_delete_subsystem refuses the discovery subsystem and unknown NQNs', async () => {
    expect(await rpcError('nvmf_delete_subsystem', { nqn: 'nqn.2014-08.org.nvmexpress.discovery' })).toEqual({
      code: -32602,
      message: 'Invalid parameters: nqn: the discovery subsystem cannot be deleted',
    });
    expect((await rpcError('nvmf_delete_subsystem', { nqn: NQN })).message).toContain('Unable to find subsystem');
  });

  it('nvmf_subsystem_add_ns returns the NSID; remove_ns frees it', async () => {
    await t.call('nvmf_create_subsystem', { nqn: NQN });
    await t.call('bdev_malloc_create', { name: 'M0', num_blocks: 64, uuid: '5a0c0b2e-1d2f-4e3a-9b4c-000000000001' });
    await t.call('bdev_malloc_create', { name: 'M1', num_blocks: 64 });
    expect(await t.call('nvmf_subsystem_add_ns', { nqn: NQN, namespace: { bdev_name: 'M0' } })).toBe(1);
    expect(await t.call('nvmf_subsystem_add_ns', { nqn: NQN, namespace: { bdev_name: 'M1', nsid: 5, eui64: '0011223344556677' } })).toBe(5);
    const [s] = (await t.call('nvmf_get_subsystems', { nqn: NQN })) as { namespaces: object[] }[];
    expect(s!.namespaces).toEqual([
      { nsid: 1, bdev_name: 'M0', name: 'M0', nguid: '5A0C0B2E1D2F4E3A9B4C000000000001', uuid: '5a0c0b2e-1d2f-4e3a-9b4c-000000000001' },
      expect.objectContaining({ nsid: 5, bdev_name: 'M1', eui64: '0011223344556677' }),
    ]);
    expect(await t.call('nvmf_subsystem_remove_ns', { nqn: NQN, nsid: 1 })).toBe(true);
    expect(await t.call('nvmf_subsystem_add_ns', { nqn: NQN, namespace: { bdev_name: 'M0' } })).toBe(1);
  });

  it.each([
    [{ nqn: NQN }, -32602, 'namespace: missing required parameter'],
    [{ nqn: NQN, namespace: {} }, -32602, 'namespace.bdev_name: missing required parameter'],
    [{ nqn: NQN, namespace: { bdev_name: 'nope' } }, -32602, 'namespace.bdev_name: no bdev named nope'],
    [{ nqn: NQN, namespace: { bdev_name: 'M0' } }, -32602, 'namespace.bdev_name: bdev M0 is already claimed'],
    [{ nqn: NQN, namespace: { bdev_name: 'M1', nsid: 1 } }, -32602, 'nsid: NSID 1 is already in use'],
    [{ nqn: NQN, namespace: { bdev_name: 'M1', nsid: 40 } }, -32602, 'nsid: expected 1..32 (maxNamespaces), got 40'],
    [{ nqn: NQN, namespace: { bdev_name: 'M1', nguid: 'xyz' } }, -32602, 'nguid: expected 32 hex digits'],
    [{ nqn: 'nqn.2014-08.org.nvmexpress.discovery', namespace: { bdev_name: 'M1' } }, -32602, 'the discovery subsystem has no namespaces'],
  ])('nvmf_subsystem_add_ns %j fails', async (params, code, text) => {
    await t.call('nvmf_create_subsystem', { nqn: NQN });
    await t.call('bdev_malloc_create', { name: 'M0', num_blocks: 64 });
    await t.call('bdev_malloc_create', { name: 'M1', num_blocks: 64 });
    await t.call('nvmf_subsystem_add_ns', { nqn: NQN, namespace: { bdev_name: 'M0' } });
    const e = await rpcError('nvmf_subsystem_add_ns', params);
    expect(e.code).toBe(code);
    expect(e.message).toContain(text);
  });

  it('nvmf_subsystem_remove_ns fails for an absent NSID', async () => {
    await t.call('nvmf_create_subsystem', { nqn: NQN });
    expect((await rpcError('nvmf_subsystem_remove_ns', { nqn: NQN, nsid: 3 })).message).toContain('nsid: no namespace 3');
    expect((await rpcError('nvmf_subsystem_remove_ns', { nqn: NQN, nsid: 0 })).message).toContain('nsid: expected an integer from 1');
  });

  it('listeners: add (port 0 picks one), get, remove; errors name the parameter', async () => {
    await t.call('nvmf_create_subsystem', { nqn: NQN });
    expect((await rpcError('nvmf_subsystem_add_listener', { nqn: NQN, listen_address: LOOPBACK })).message).toContain('transport must be created first');
    await t.call('nvmf_create_transport', { trtype: 'TCP' });
    expect(await t.call('nvmf_subsystem_add_listener', { nqn: NQN, listen_address: { trtype: 'tcp', traddr: '127.0.0.1', trsvcid: '0' } })).toBe(true);
    const [l] = (await t.call('nvmf_subsystem_get_listeners', { nqn: NQN })) as { address: Record<string, string>; secure_channel: boolean }[];
    expect(l).toEqual({ address: { trtype: 'TCP', adrfam: 'IPv4', traddr: '127.0.0.1', trsvcid: expect.stringMatching(/^[1-9]\d*$/) }, secure_channel: false });
    expect(t.service.runtime.tcp!.addresses).toHaveLength(1);
    expect((await rpcError('nvmf_subsystem_add_listener', { nqn: NQN, listen_address: { trtype: 'TCP', traddr: '127.0.0.1' } })).message).toContain(
      'listen_address.trsvcid: missing required parameter',
    );
    expect((await rpcError('nvmf_subsystem_add_listener', { nqn: NQN, listen_address: { ...LOOPBACK, trtype: 'FC' } })).message).toContain('listen_address.trtype: expected one of TCP, RDMA');
    expect((await rpcError('nvmf_subsystem_add_listener', { nqn: NQN, listen_address: { ...LOOPBACK, trtype: 'RDMA' } })).message).toContain('Unable to find RDMA transport');
    expect((await rpcError('nvmf_subsystem_add_listener', { nqn: NQN, listen_address: LOOPBACK, secure_channel: true })).message).toContain('secure_channel: expected false');
    expect((await rpcError('nvmf_subsystem_remove_listener', { nqn: NQN, listen_address: { ...l!.address, trsvcid: '1' } })).message).toContain('listen_address: nqn.2016-06.io.nvmekit:cnode7 has no listener');
    const busy = createServer();
    await new Promise<void>((r) => busy.listen(0, '127.0.0.1', r));
    const busyPort = String((busy.address() as { port: number }).port);
    expect((await rpcError('nvmf_subsystem_add_listener', { nqn: NQN, listen_address: { ...LOOPBACK, trsvcid: busyPort } })).message).toContain(
      `listen_address: cannot listen on tcp://127.0.0.1:${busyPort}`,
    );
    await new Promise<void>((r) => busy.close(() => r()));
    expect(await t.call('nvmf_subsystem_remove_listener', { nqn: NQN, listen_address: l!.address })).toBe(true);
    expect(await t.call('nvmf_subsystem_get_listeners', { nqn: NQN })).toEqual([]);
    // The port closed with its last subsystem.
    expect(t.service.runtime.tcp!.addresses).toHaveLength(0);
  });

  it('hosts: add, remove, allow_any_host', async () => {
    await t.call('nvmf_create_subsystem', { nqn: NQN });
    expect(await t.call('nvmf_subsystem_add_host', { nqn: NQN, host: HOST })).toBe(true);
    expect(await t.call('nvmf_subsystem_allow_any_host', { nqn: NQN, allow_any_host: true })).toBe(true);
    const [s] = (await t.call('nvmf_get_subsystems', { nqn: NQN })) as object[];
    expect(s).toMatchObject({ allow_any_host: true, hosts: [{ nqn: HOST }] });
    expect(await t.call('nvmf_subsystem_remove_host', { nqn: NQN, host: HOST })).toBe(true);
    expect((await rpcError('nvmf_subsystem_remove_host', { nqn: NQN, host: HOST })).message).toContain(`host: ${HOST} is not a host of`);
    expect((await rpcError('nvmf_subsystem_add_host', { nqn: NQN, host: 'nohost' })).message).toContain('Invalid parameters: host: expected');
    expect((await rpcError('nvmf_subsystem_allow_any_host', { nqn: NQN })).message).toContain('allow_any_host: missing required parameter');
    expect((await rpcError('nvmf_subsystem_add_host', { nqn: 'nqn.2016-06.io.nvmekit:none', host: HOST })).message).toContain('nqn: Unable to find subsystem');
  });

  it('controllers, qpairs and stats report live connections', async () => {
    const port = await exportMallocSubsystem(t, NQN);
    expect(await t.call('nvmf_subsystem_get_controllers', { nqn: NQN })).toEqual([]);
    const ctrlr = await connect(trid(port, NQN), { hostnqn: HOST });
    const qp = await ctrlr.allocIoQpair();
    await qp.writeAsync(1, 0, 8, Buffer.alloc(4096, 1));
    const ctrls = (await t.call('nvmf_subsystem_get_controllers', { nqn: NQN })) as Record<string, unknown>[];
    expect(ctrls).toEqual([{ cntlid: ctrlr.cntlid, hostnqn: HOST, hostid: expect.any(String), num_io_qpairs: 1 }]);
    const qpairs = (await t.call('nvmf_subsystem_get_qpairs', { nqn: NQN })) as Record<string, unknown>[];
    expect(qpairs.map((q) => q.qid)).toEqual([0, 1]);
    expect(qpairs[1]).toMatchObject({
      cntlid: ctrlr.cntlid,
      state: 'active',
      hostnqn: HOST,
      listen_address: { trtype: 'TCP', adrfam: 'IPv4', traddr: '127.0.0.1', trsvcid: port },
      peer_address: { trtype: 'TCP', adrfam: 'IPv4', traddr: '127.0.0.1' },
    });
    const stats = (await t.call('nvmf_get_stats')) as { poll_groups: Record<string, unknown>[] };
    expect(stats.poll_groups[0]).toMatchObject({ current_admin_qpairs: 1, current_io_qpairs: 1, completed_nvme_io: 1 });
    const iostat = (await t.call('bdev_get_iostat', { name: 'Malloc_cnode7' })) as { bdevs: Record<string, unknown>[] };
    expect(iostat.bdevs[0]).toMatchObject({ name: 'Malloc_cnode7', num_write_ops: 1, bytes_written: 4096 });
    await ctrlr.detach();
    expect((await rpcError('nvmf_subsystem_get_qpairs', {})).message).toContain('nqn: missing required parameter');
    expect((await rpcError('nvmf_get_stats', { x: 1 })).message).toContain('x: unknown parameter');
  });
});

describe('bdev methods', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'nvmekit-rpc-bdev-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('malloc and null: create returns the name, get_bdevs shows them in SPDK shape, delete removes them', async () => {
    expect(await t.call('bdev_malloc_create', { num_blocks: 1024, block_size: 4096 })).toBe('Malloc0');
    expect(await t.call('bdev_null_create', { name: 'Null0', num_blocks: 2048, block_size: 512 })).toBe('Null0');
    const spdk = JSON.parse(readFileSync(join(VECTORS, 'spdk_tgt_bdevs.json'), 'utf8')) as object[];
    const bdevs = (await t.call('bdev_get_bdevs')) as Record<string, unknown>[];
    expect(bdevs.map((b) => [b.name, b.product_name, b.block_size, b.num_blocks])).toEqual([
      ['Malloc0', 'Malloc disk', 4096, 1024],
      ['Null0', 'Null disk', 512, 2048],
    ]);
    expect(keys(bdevs[0]).filter((k) => k !== 'claim_type')).toEqual(keys(spdk[0]).filter((k) => k !== 'claim_type'));
    expect(await t.call('bdev_malloc_delete', { name: 'Malloc0' })).toBe(true);
    expect(await rpcError('bdev_malloc_delete', { name: 'Null0' })).toMatchObject({ code: -32602, message: expect.stringContaining("name: no malloc block device 'Null0'") });
    expect(await t.call('bdev_null_delete', { name: 'Null0' })).toBe(true);
    expect(await t.call('bdev_get_bdevs')).toEqual([]);
  });

  it.each([
    ['bdev_malloc_create', {}, -32602, 'num_blocks: missing required parameter'],
    ['bdev_malloc_create', { num_blocks: 8, block_size: 1000 }, -32602, 'block_size: expected a power of two'],
    ['bdev_malloc_create', { num_blocks: 0 }, -32602, 'num_blocks: expected an integer from 1'],
    ['bdev_malloc_create', { num_blocks: 8, md_size: 8 }, -32602, 'md_size: expected 0'],
    ['bdev_null_create', { num_blocks: 8 }, -32602, 'name: missing required parameter'],
    ['bdev_aio_create', { name: 'A' }, -32602, 'filename: missing required parameter'],
    ['bdev_aio_create', { name: 'A', filename: '/nonexistent/disk.img' }, -32602, 'filename: cannot open /nonexistent/disk.img'],
    ['bdev_delay_create', { base_bdev_name: 'X', name: 'D', avg_read_latency: 1, p99_read_latency: 1, avg_write_latency: 1 }, -32602, 'p99_write_latency: missing'],
    ['bdev_delay_create', { base_bdev_name: 'X', name: 'D', avg_read_latency: 1, p99_read_latency: 1, avg_write_latency: 1, p99_write_latency: 1 }, -32602, "base_bdev_name: no block device 'X'"],
    ['bdev_error_create', { base_name: 'X' }, -32602, "base_name: no block device 'X'"],
    ['bdev_error_inject_error', { name: 'EE_X', io_type: 'read', error_type: 'failure' }, -32602, "name: no error injection device 'EE_X'"],
    ['bdev_error_inject_error', { name: 'EE_X', io_type: 'reads', error_type: 'failure' }, -32602, 'io_type: expected one of read, write'],
    ['bdev_get_bdevs', { name: 'X' }, -19, 'No such device: X'],
    ['bdev_get_iostat', { name: 'X' }, -19, 'No such device: X'],
    ['bdev_aio_delete', {}, -32602, 'name: missing required parameter'],
    ['bdev_delay_delete', { name: 'X' }, -32602, "name: no delay block device 'X'"],
    ['bdev_error_delete', { name: 'X' }, -32602, "name: no error block device 'X'"],
  ])('%s %j fails', async (method, params, code, text) => {
    const e = await rpcError(method, params);
    expect(e.code).toBe(code);
    expect(e.message).toContain(text);
  });

  it('aio, delay and error: create, stack, inject, delete', async () => {
    const file = join(dir, 'disk.img');
    writeFileSync(file, Buffer.alloc(1024 * 1024));
    expect(await t.call('bdev_aio_create', { filename: file, name: 'AIO0', block_size: 4096 })).toBe('AIO0');
    expect(await t.call('bdev_delay_create', { base_bdev_name: 'AIO0', name: 'Delay0', avg_read_latency: 10, p99_read_latency: 20, avg_write_latency: 10, p99_write_latency: 20 })).toBe('Delay0');
    expect(await t.call('bdev_error_create', { base_name: 'Delay0' })).toBe(true);
    expect(await t.call('bdev_error_inject_error', { name: 'EE_Delay0', io_type: 'write', error_type: 'failure', num: 2 })).toBe(true);
    const [aio] = (await t.call('bdev_get_bdevs', { name: 'AIO0' })) as { claimed: boolean; driver_specific: { aio: { filename: string } } }[];
    expect(aio).toMatchObject({ claimed: true, driver_specific: { aio: { filename: file } } });
    const [ee] = (await t.call('bdev_get_bdevs', { name: 'EE_Delay0' })) as { product_name: string }[];
    expect(ee!.product_name).toBe('Error Injection Disk');
    expect(await t.call('bdev_error_delete', { name: 'EE_Delay0' })).toBe(true);
    expect(await t.call('bdev_delay_delete', { name: 'Delay0' })).toBe(true);
    expect(await t.call('bdev_aio_delete', { name: 'AIO0' })).toBe(true);
    expect(await t.call('bdev_get_bdevs')).toEqual([]);
  });
});
