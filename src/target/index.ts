/**
 * The bundled NVMe-oF target's public surface: what a transport listener, the
 * `nvme-target` CLI and the JSON-RPC layer build on.
 */
export { NvmfTarget, NVMEKIT_FIRMWARE_REVISION, type NvmfTargetOptions } from './target.js';
export { Subsystem, MAX_CNTLID, MIN_CNTLID, type SubsystemOptions, type SubsystemType } from './subsystem.js';
export { Namespace, type NamespaceOptions } from './namespace.js';
export { Controller, type ControllerFeatures } from './controller.js';
export { NvmfQueuePair } from './queue-pair.js';
export { IoStats } from './io-stats.js';
export { nqnProblem, validateNqn } from './nqn.js';
export { formatListener, type Listener, type ListenerAddress } from './listener.js';
export type { LogLevel } from './target-context.js';
export type {
  BdevCallback,
  BdevReadCallback,
  BlockDevice,
  BlockDeviceCapabilities,
  BlockDeviceOptions,
  UnmapRange,
} from './bdev/block-device.js';
export { BlockDeviceBase, resolveBlockDeviceOptions, type ResolvedBlockDeviceOptions } from './bdev/block-device.js';
export { MallocBlockDevice, type MallocBlockDeviceOptions } from './bdev/malloc.js';
export { NullBlockDevice } from './bdev/null.js';
export type { CommandFailure, TargetConnectionInfo, TargetCore, TargetQueuePair, TargetCompletion } from './transport/transport.js';
