/**
 * What controllers and queue pairs need from the target that holds them.
 * NvmfTarget implements it; the split keeps the command handlers free of the
 * target's own bookkeeping and lets tests see exactly what they depend on.
 */
import type { Subsystem } from './subsystem.js';
import type { TargetConnectionInfo } from './transport/transport.js';

export type LogLevel = 'error' | 'warn' | 'info' | 'debug';

/** Settings fixed for the target's life, after defaults. */
export interface TargetSettings {
  /** Identify FR and the firmware slot log. */
  readonly firmwareRevision: string;
  /** Most I/O queues one controller may have (Set Features Number of Queues grants at most this). */
  readonly maxIoQueuesPerController: number;
}

export interface TargetContext {
  readonly settings: TargetSettings;
  log(level: LogLevel, msg: string): void;
  /** The subsystem `nqn` if a host connected through `info` may reach it. */
  findSubsystem(nqn: string, info: TargetConnectionInfo): Subsystem | undefined;
  /** The whole Discovery Log Page as `hostnqn`, connected through `info`, sees it. */
  buildDiscoveryLog(hostnqn: string, info: TargetConnectionInfo): Buffer;
}
