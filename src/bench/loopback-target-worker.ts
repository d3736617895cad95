/**
 * The thread `--loopback` runs the bundled target in: pins itself to its own
 * core, serves one subsystem with one malloc namespace over NVMe/TCP on a free
 * 127.0.0.1 port, and reports the port. With a core of its own it polls, as
 * SPDK's nvmf_tgt reactors do, so a command is picked up without a thread
 * wake-up. `stop` closes every connection and ends the thread.
 *
 * Entry point of `new Worker(...)`; not imported by anything else.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { pinCurrentThread, type PinOutcome } from '../native/libc.js';
import { MallocBlockDevice } from '../target/bdev/malloc.js';
import { NvmfTarget } from '../target/target.js';
import { TcpListener } from '../target/transport/tcp/index.js';

/** The thread's `workerData`. */
export interface LoopbackTargetInit {
  nqn: string;
  /** Core to pin to; null shares the cores of the process (and does not poll). */
  core: number | null;
  numBlocks: number;
  blockSize: number;
}

export type LoopbackTargetMessage = { type: 'ready'; port: string; pin: PinOutcome | null } | { type: 'failed'; message: string };

const init = workerData as LoopbackTargetInit;
const port = parentPort!;

async function main(): Promise<void> {
  const pin = init.core === null ? null : pinCurrentThread(init.core);
  const target = new NvmfTarget();
  const subsystem = target.createSubsystem({ nqn: init.nqn, allowAnyHost: true, modelNumber: 'nvmekit loopback' });
  subsystem.addNamespace(new MallocBlockDevice({ name: 'Malloc0', blockSize: init.blockSize, numBlocks: init.numBlocks }));
  const listener = new TcpListener(target);
  let bound;
  try {
    bound = await listener.listen('tcp://127.0.0.1:0');
  } catch (err) {
    target.close();
    port.postMessage({ type: 'failed', message: (err as Error).message } satisfies LoopbackTargetMessage);
    port.close();
    return;
  }
  let stopping = false;
  if (pin?.pinned) {
    const spin = (): void => void (stopping || setImmediate(spin));
    spin();
  }
  port.once('message', () => {
    stopping = true;
    void listener.close().then(() => {
      target.close();
      port.close();
    });
  });
  port.postMessage({ type: 'ready', port: bound.trsvcid, pin } satisfies LoopbackTargetMessage);
}

void main();
