/**
 * A target in the test's own process serving one block device over TCP on a
 * free 127.0.0.1 port: for tests that need a device the CLI cannot build (one
 * that corrupts reads, say) behind a real NVMe/TCP listener.
 */
import type { BlockDevice } from '../../src/target/bdev/block-device.js';
import { NvmfTarget } from '../../src/target/target.js';
import { TcpListener } from '../../src/target/transport/tcp/index.js';

export interface InProcessTarget {
  /** The port it listens on. */
  trsvcid: string;
  stop(): Promise<void>;
}

/** Serves `bdev` as namespace 1 of subsystem `nqn`, any host allowed. */
export async function serveBlockDevice(nqn: string, bdev: BlockDevice): Promise<InProcessTarget> {
  const target = new NvmfTarget();
  target.createSubsystem({ nqn, allowAnyHost: true }).addNamespace(bdev);
  const tcp = new TcpListener(target);
  const bound = await tcp.listen('tcp://127.0.0.1:0');
  return {
    trsvcid: String(bound.trsvcid),
    async stop() {
      await tcp.close();
      target.close();
    },
  };
}
