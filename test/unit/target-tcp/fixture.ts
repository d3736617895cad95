/**
 * A target with one subsystem (any host, 4 MiB malloc namespace with 512-byte
 * blocks) served by a TcpListener on an ephemeral loopback port.
 */
import { networkInterfaces } from 'node:os';
import { MallocBlockDevice } from '../../../src/target/bdev/malloc.js';
import { NvmfTarget } from '../../../src/target/target.js';
import { TcpListener, type TcpListenerOptions } from '../../../src/target/transport/tcp/index.js';
import { SUBNQN } from './raw-host.js';

export interface Fixture {
  target: NvmfTarget;
  listener: TcpListener;
  port: number;
  /** Every log line of the listener and the target, `level: message`. */
  logs: string[];
  stop(): Promise<void>;
}

export async function startTarget(opts: TcpListenerOptions = {}, addr = 'tcp://127.0.0.1:0'): Promise<Fixture> {
  const logs: string[] = [];
  const log = (level: string, msg: string): void => {
    logs.push(`${level}: ${msg}`);
  };
  const target = new NvmfTarget({ log });
  const subsystem = target.createSubsystem({ nqn: SUBNQN, allowAnyHost: true });
  subsystem.addNamespace(new MallocBlockDevice({ name: 'Malloc0', numBlocks: 8192, blockSize: 512 }));
  const listener = new TcpListener(target, { log, ...opts });
  const bound = await listener.listen(addr);
  return {
    target,
    listener,
    port: Number(bound.trsvcid),
    logs,
    async stop() {
      await listener.close();
      target.close();
    },
  };
}

/** `len` bytes of a recognisable pattern (byte i = (i * 7 + seed) & 0xff). */
export function pattern(len: number, seed = 1): Buffer {
  const b = Buffer.alloc(len);
  for (let i = 0; i < len; i++) b[i] = (i * 7 + seed) & 0xff;
  return b;
}

/** Whether ::1 is configured (CI containers sometimes run without IPv6). */
export const HAS_IPV6_LOOPBACK = Object.values(networkInterfaces())
  .flat()
  .some((i) => i?.address === '::1');
