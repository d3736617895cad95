/**
 * An in-process target with its JSON-RPC socket in a temporary directory, and
 * a client on it: what the rpc-*.test.ts loopback tests drive.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BdevRegistry } from '../../src/target/bdev/bdev-registry.js';
import { JsonRpcClient } from '../../src/target/rpc/json-rpc-client.js';
import { RpcService } from '../../src/target/rpc/rpc-service.js';
import { NvmfTarget } from '../../src/target/target.js';

export interface RpcTarget {
  service: RpcService;
  socketPath: string;
  client: JsonRpcClient;
  call(method: string, params?: Record<string, unknown>): Promise<unknown>;
  /** Warnings the target logged (load_config reports). */
  warnings: string[];
  close(): Promise<void>;
}

export async function startRpcTarget(): Promise<RpcTarget> {
  const dir = mkdtempSync(join(tmpdir(), 'nvmekit-rpc-'));
  const socketPath = join(dir, 'rpc.sock');
  const warnings: string[] = [];
  const log = (level: string, msg: string): void => {
    if (level === 'warn') warnings.push(msg);
  };
  const target = new NvmfTarget({ log });
  const service = new RpcService({ target, bdevs: new BdevRegistry(target), log });
  await service.listen(socketPath);
  const client = await JsonRpcClient.connect(socketPath);
  return {
    service,
    socketPath,
    client,
    call: (method, params) => client.call(method, params),
    warnings,
    close: async () => {
      client.close();
      await service.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * Over RPC: the TCP transport, a 32 MiB malloc bdev, a subsystem with it as
 * namespace 1, exported on 127.0.0.1 at a free port. @returns the port
 */
export async function exportMallocSubsystem(t: RpcTarget, nqn: string, opts: { allowAnyHost?: boolean; bdev?: string } = {}): Promise<string> {
  if (((await t.call('nvmf_get_transports')) as unknown[]).length === 0) await t.call('nvmf_create_transport', { trtype: 'TCP' });
  const bdev = opts.bdev ?? `Malloc_${nqn.split(':').at(-1)}`;
  await t.call('bdev_malloc_create', { name: bdev, num_blocks: 65536, block_size: 512 });
  await t.call('nvmf_create_subsystem', { nqn, allow_any_host: opts.allowAnyHost ?? true });
  await t.call('nvmf_subsystem_add_ns', { nqn, namespace: { bdev_name: bdev } });
  await t.call('nvmf_subsystem_add_listener', { nqn, listen_address: { trtype: 'TCP', adrfam: 'IPv4', traddr: '127.0.0.1', trsvcid: '0' } });
  const listeners = (await t.call('nvmf_subsystem_get_listeners', { nqn })) as { address: { trsvcid: string } }[];
  return listeners[0]!.address.trsvcid;
}

export function trid(port: string, nqn: string): string {
  return `trtype:TCP adrfam:IPv4 traddr:127.0.0.1 trsvcid:${port} subnqn:${nqn}`;
}
