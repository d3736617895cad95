import { afterEach, describe, expect, it } from 'vitest';
import { BdevRegistry } from '../../../src/target/bdev/bdev-registry.js';
import { RpcError } from '../../../src/target/rpc/rpc-errors.js';
import { TargetRuntime } from '../../../src/target/rpc/target-runtime.js';
import { NvmfTarget } from '../../../src/target/target.js';

const ANY_PORT = { trtype: 'TCP', adrfam: 'IPv4', traddr: '127.0.0.1', trsvcid: '0' } as const;

function runtime(state: 'startup' | 'runtime' = 'runtime', onStartInit?: () => Promise<void>): TargetRuntime {
  const target = new NvmfTarget();
  return new TargetRuntime({ target, bdevs: new BdevRegistry(target), state, onStartInit });
}

let rt: TargetRuntime | null = null;
afterEach(async () => {
  await rt?.close();
  rt = null;
});

describe('TargetRuntime', () => {
  it('shares a listen port between subsystems and closes it with the last one', async () => {
    rt = runtime();
    rt.createTcpTransport({});
    const a = rt.target.createSubsystem({ nqn: 'nqn.2016-06.io.nvmekit:a', explicitListeners: true });
    const b = rt.target.createSubsystem({ nqn: 'nqn.2016-06.io.nvmekit:b', explicitListeners: true });
    const info = { peerAddress: '127.0.0.1', peerPort: 1, inCapsuleDataSize: 0, maxIoSize: 4096, maxQueueDepth: 2, maxAdminQueueDepth: 2 };
    const bound = await rt.addListener(a, ANY_PORT);
    expect(b.isReachableVia({ ...bound, ...info })).toBe(false);
    expect(await rt.addListener(b, bound)).toEqual(bound);
    expect(rt.tcp!.addresses).toEqual([bound]);
    expect(b.isReachableVia({ ...bound, ...info })).toBe(true);
    await rt.removeListener(a, bound);
    expect(rt.tcp!.addresses).toEqual([bound]);
    expect(a.isReachableVia({ ...bound, ...info })).toBe(false);
    await rt.deleteSubsystem(b);
    expect(rt.tcp!.addresses).toEqual([]);
    await expect(rt.removeListener(a, bound)).rejects.toThrow(/has no listener/);
  });

  it('needs the transport before a listener, and creates it once', async () => {
    rt = runtime();
    const s = rt.target.createSubsystem({ nqn: 'nqn.2016-06.io.nvmekit:a', explicitListeners: true });
    await expect(rt.addListener(s, ANY_PORT)).rejects.toThrow(/transport must be created first/);
    rt.createTcpTransport({});
    expect(() => rt!.createTcpTransport({})).toThrow(new RpcError(-17, "Transport type 'TCP' already exists"));
  });

  it('runs the init hook once in runtime state, then releases framework_wait_init', async () => {
    const states: string[] = [];
    rt = runtime('startup', async () => {
      states.push(rt!.state);
    });
    let released = false;
    const waiting = rt.waitInit().then(() => (released = true));
    await Promise.resolve();
    expect(released).toBe(false);
    await rt.startInit();
    await waiting;
    expect(states).toEqual(['runtime']);
    await expect(rt.startInit()).rejects.toMatchObject({ code: -1 });
  });
});
