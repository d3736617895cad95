/**
 * Runtime changes over RPC as nvmekit's host sees them: host ACLs (Connect
 * "invalid host" on admin and I/O queues, a filtered discovery log), namespace
 * add/remove with the Namespace Attribute Changed event, listener removal and
 * subsystem deletion closing connections.
 */
import { once } from 'node:events';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { connect, discover, NvmeStatusError, type Controller } from '../../src/index.js';
import { RawHost, HOSTNQN } from '../unit/target-tcp/raw-host.js';
import { exportMallocSubsystem, startRpcTarget, trid, type RpcTarget } from './rpc-fixture.js';

const OPEN = 'nqn.2016-06.io.nvmekit:open';
const CLOSED = 'nqn.2016-06.io.nvmekit:closed';
const ALLOWED = 'nqn.2014-08.org.nvmexpress:uuid:aaaaaaaa-0000-0000-0000-000000000001';
const OTHER = 'nqn.2014-08.org.nvmexpress:uuid:bbbbbbbb-0000-0000-0000-000000000002';

let t: RpcTarget;
const open: Controller[] = [];
beforeEach(async () => {
  t = await startRpcTarget();
});
afterEach(async () => {
  for (const c of open.splice(0)) await c.detach();
  await t.close();
});

async function host(port: string, nqn: string, hostnqn: string): Promise<Controller> {
  const c = await connect(trid(port, nqn), { hostnqn });
  open.push(c);
  return c;
}

/** Resolves with the error the controller fails with (its connection closed by the target). */
function failure(c: Controller): Promise<Error> {
  if (c.failedReason) return Promise.resolve(c.failedReason);
  return once(c, 'error').then(([err]) => err as Error);
}

describe('host ACL', () => {
  it('lets only listed hosts connect; others get Connect invalid host (SCT 1, SC 0x84) on admin and I/O queues', async () => {
    const port = await exportMallocSubsystem(t, CLOSED, { allowAnyHost: false });
    await t.call('nvmf_subsystem_add_host', { nqn: CLOSED, host: ALLOWED });
    const ok = await host(port, CLOSED, ALLOWED);
    const qp = await ok.allocIoQpair();
    await qp.writeAsync(1, 0, 1, Buffer.alloc(512, 7));

    const refused = await connect(trid(port, CLOSED), { hostnqn: OTHER }).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(NvmeStatusError);
    expect(refused).toMatchObject({ sct: 1, sc: 0x84 });

    // RawHost presents HOSTNQN, not on the list: refused on the admin queue and on an I/O queue of an existing controller.
    const raw = await RawHost.start(Number(port));
    expect((await raw.connectQueue(0, 0xffff, CLOSED)).status).toBe('1/0x84');
    raw.close();
    const rawIo = await RawHost.start(Number(port));
    expect((await rawIo.connectQueue(1, ok.cntlid, CLOSED)).status).toBe('1/0x84');
    rawIo.close();

    // Once listed, the same host gets in.
    await t.call('nvmf_subsystem_add_host', { nqn: CLOSED, host: HOSTNQN });
    const admitted = await RawHost.start(Number(port));
    expect((await admitted.connectQueue(0, 0xffff, CLOSED)).status).toBe('0/0x00');
    admitted.close();
  });

  it('drops the controllers of a host removed from the list', async () => {
    const port = await exportMallocSubsystem(t, CLOSED, { allowAnyHost: false });
    await t.call('nvmf_subsystem_add_host', { nqn: CLOSED, host: ALLOWED });
    const c = await host(port, CLOSED, ALLOWED);
    const failed = failure(c);
    await t.call('nvmf_subsystem_remove_host', { nqn: CLOSED, host: ALLOWED });
    await failed;
    expect(await t.call('nvmf_subsystem_get_controllers', { nqn: CLOSED })).toEqual([]);
  });

  it('discovery shows a host only the subsystems it may reach', async () => {
    const port = await exportMallocSubsystem(t, OPEN);
    await exportMallocSubsystem(t, CLOSED, { allowAnyHost: false });
    // Both subsystems on one port: move CLOSED onto OPEN's address.
    const [closedListener] = (await t.call('nvmf_subsystem_get_listeners', { nqn: CLOSED })) as { address: object }[];
    await t.call('nvmf_subsystem_remove_listener', { nqn: CLOSED, listen_address: closedListener!.address });
    await t.call('nvmf_subsystem_add_listener', { nqn: CLOSED, listen_address: { trtype: 'TCP', adrfam: 'IPv4', traddr: '127.0.0.1', trsvcid: port } });
    await t.call('nvmf_subsystem_add_host', { nqn: CLOSED, host: ALLOWED });
    const disc = `trtype:TCP adrfam:IPv4 traddr:127.0.0.1 trsvcid:${port} subnqn:nqn.2014-08.org.nvmexpress.discovery`;
    const nvm = (entries: { subnqn: string }[]): string[] => entries.map((e) => e.subnqn).filter((n) => !n.includes('discovery')).sort();
    expect(nvm(await discover(disc, { hostnqn: ALLOWED }))).toEqual([CLOSED, OPEN]);
    expect(nvm(await discover(disc, { hostnqn: OTHER }))).toEqual([OPEN]);
  });
});

describe('runtime namespace changes', () => {
  it('the host sees the AEN and the new namespace, then its removal', async () => {
    const port = await exportMallocSubsystem(t, OPEN);
    const c = await host(port, OPEN, ALLOWED);
    expect(c.namespaces.map((n) => n.nsid)).toEqual([1]);
    await t.call('bdev_malloc_create', { name: 'Extra', num_blocks: 2048, block_size: 4096 });
    const added = once(c, 'namespacesChanged');
    expect(await t.call('nvmf_subsystem_add_ns', { nqn: OPEN, namespace: { bdev_name: 'Extra' } })).toBe(2);
    await added;
    expect(c.namespaces.map((n) => n.nsid)).toEqual([1, 2]);
    const qp = await c.allocIoQpair();
    const data = Buffer.alloc(4096, 0x3c);
    await qp.writeAsync(2, 5, 1, data);
    const back = Buffer.alloc(4096);
    await qp.readAsync(2, 5, 1, back);
    expect(back.equals(data)).toBe(true);

    const removed = once(c, 'namespacesChanged');
    await t.call('nvmf_subsystem_remove_ns', { nqn: OPEN, nsid: 2 });
    await removed;
    expect(c.namespaces.map((n) => n.nsid)).toEqual([1]);
  });

  it('deleting a bdev in use hot-removes its namespace', async () => {
    const port = await exportMallocSubsystem(t, OPEN);
    const c = await host(port, OPEN, ALLOWED);
    const removed = once(c, 'namespacesChanged');
    await t.call('bdev_malloc_delete', { name: 'Malloc_open' });
    await removed;
    expect(c.namespaces).toEqual([]);
  });
});

describe('listener removal and subsystem deletion', () => {
  it('removing a listener closes the connections that came through it; other subsystems keep theirs', async () => {
    const port = await exportMallocSubsystem(t, OPEN);
    const otherPort = await exportMallocSubsystem(t, CLOSED);
    const a = await host(port, OPEN, ALLOWED);
    const b = await host(otherPort, CLOSED, ALLOWED);
    const failed = failure(a);
    await t.call('nvmf_subsystem_remove_listener', { nqn: OPEN, listen_address: { trtype: 'TCP', adrfam: 'IPv4', traddr: '127.0.0.1', trsvcid: port } });
    await failed;
    expect(await t.call('nvmf_subsystem_get_controllers', { nqn: OPEN })).toEqual([]);
    const qp = await b.allocIoQpair();
    await qp.writeAsync(1, 0, 1, Buffer.alloc(512));
    // The port closed: nothing accepts there any more.
    await expect(connect(trid(port, OPEN))).rejects.toThrow();
  });

  it('deleting a subsystem disconnects its hosts and frees its port', async () => {
    const port = await exportMallocSubsystem(t, OPEN);
    const c = await host(port, OPEN, ALLOWED);
    await c.allocIoQpair();
    const failed = failure(c);
    expect(await t.call('nvmf_delete_subsystem', { nqn: OPEN })).toBe(true);
    expect(await failed).toBeInstanceOf(Error);
    expect(t.service.runtime.tcp!.addresses).toEqual([]);
    expect((await t.call('nvmf_get_stats')) as object).toMatchObject({ poll_groups: [{ current_admin_qpairs: 0, current_io_qpairs: 0 }] });
  });
});
