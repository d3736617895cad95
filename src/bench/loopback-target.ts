/**
 * `--loopback`: the bundled target in a thread of its own, on a core the perf
 * workers do not use, with one 256 MiB malloc namespace (512-byte blocks, as
 * `nvme-target`'s default and SPDK's bdev_malloc_create) on a free 127.0.0.1 port.
 */
import { Worker } from 'node:worker_threads';
import type { PinOutcome } from '../native/libc.js';
import type { LoopbackTargetInit, LoopbackTargetMessage } from './loopback-target-worker.js';

export const LOOPBACK_NQN = 'nqn.2016-06.io.nvmekit:loopback';
export const LOOPBACK_SIZE_BYTES = 256 * 1024 * 1024;
export const LOOPBACK_BLOCK_SIZE = 512;

export interface LoopbackTarget {
  /** Transport ID of the subsystem, SPDK style, with the port picked. */
  trid: string;
  /** The target thread's core, or null when it shares the workers' cores. */
  core: number | null;
  /** How pinning went (null when not attempted). */
  pin: PinOutcome | null;
  /** Closes every connection and ends the thread. */
  stop(): Promise<void>;
}

/**
 * The core for the target: the lowest one the process may use that no worker
 * uses, or null when the workers take them all.
 */
export function loopbackTargetCore(workerCores: readonly number[], usable: readonly number[]): number | null {
  return usable.find((c) => !workerCores.includes(c)) ?? null;
}

/** Starts the target thread; resolves once it listens. */
export function startLoopbackTarget(core: number | null): Promise<LoopbackTarget> {
  const init: LoopbackTargetInit = {
    nqn: LOOPBACK_NQN,
    core,
    numBlocks: LOOPBACK_SIZE_BYTES / LOOPBACK_BLOCK_SIZE,
    blockSize: LOOPBACK_BLOCK_SIZE,
  };
  const worker = new Worker(new URL('./loopback-target-worker.js', import.meta.url), { workerData: init });
  const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
  return new Promise((resolve, reject) => {
    worker.once('error', reject);
    worker.once('exit', (code) => reject(new Error(`the loopback target thread exited (${code}) before listening`)));
    worker.once('message', (m: LoopbackTargetMessage) => {
      if (m.type === 'failed') {
        reject(new Error(`the loopback target could not listen on 127.0.0.1: ${m.message}`));
        return;
      }
      resolve({
        trid: `trtype:TCP adrfam:IPv4 traddr:127.0.0.1 trsvcid:${m.port} subnqn:${LOOPBACK_NQN}`,
        core,
        pin: m.pin,
        stop: () => {
          worker.postMessage('stop');
          return exited;
        },
      });
    });
  });
}
