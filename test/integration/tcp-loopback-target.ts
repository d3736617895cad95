/**
 * The bundled target on 127.0.0.1 (ephemeral port) for the host transport's
 * loopback tests: one subsystem with one malloc namespace, any host allowed.
 */
import { MallocBlockDevice } from '../../src/target/bdev/malloc.js';
import { NvmfTarget } from '../../src/target/target.js';
import { TcpListener, type TcpListenerOptions } from '../../src/target/transport/tcp/index.js';

export const SUBNQN = 'nqn.2016-06.io.nvmekit:loopback';

export interface LoopbackTarget {
  /** Transport ID of the subsystem, SPDK style. */
  trid: string;
  port: string;
  close(): Promise<void>;
}

export async function startLoopbackTarget(
  opts: { listener?: TcpListenerOptions; blockSize?: number; numBlocks?: number } = {},
): Promise<LoopbackTarget> {
  const target = new NvmfTarget();
  const subsystem = target.createSubsystem({ nqn: SUBNQN, allowAnyHost: true, modelNumber: 'nvmekit loopback' });
  subsystem.addNamespace(new MallocBlockDevice({ blockSize: opts.blockSize ?? 512, numBlocks: opts.numBlocks ?? 65536 }));
  const tcp = new TcpListener(target, opts.listener);
  const bound = await tcp.listen('tcp://127.0.0.1:0');
  return {
    trid: `trtype:TCP adrfam:IPv4 traddr:127.0.0.1 trsvcid:${bound.trsvcid} subnqn:${SUBNQN}`,
    port: bound.trsvcid,
    close: async () => {
      await tcp.close();
      target.close();
    },
  };
}
