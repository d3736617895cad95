/**
 * nvmekit: an NVMe / NVMe-oF host driver for Node.js.
 *
 * ```ts
 * import { connect } from 'nvmekit';
 * const ctrlr = await connect('trtype:TCP traddr:127.0.0.1 trsvcid:4420 subnqn:nqn.2016-06.io.spdk:cnode1');
 * const qp = await ctrlr.allocIoQpair();
 * const buf = Buffer.alloc(4096);
 * await qp.readAsync(1, 0, 8, buf);
 * await ctrlr.detach();
 * ```
 */

// Registers the NVMe/TCP transport (trtype TCP) with the driver's transport registry.
import './transport/tcp/index.js';
// Registers NVMe/RDMA (trtype RDMA); libibverbs / librdmacm load on first use only.
import './transport/rdma/index.js';
// Registers NVMe over PCIe through VFIO (trtype PCIe); koffi loads only when a PCIe controller is connected.
import './transport/pcie/index.js';

export { NVMEKIT_VERSION } from './version.js';

// The host driver.
export { connect, Controller, type DetachReport, type DmaBuffer, type IoQpairOptions } from './nvme-driver/controller.js';
export type { InitState } from './nvme-driver/controller-init.js';
export { connectAll, discover, entryTransportId, readDiscoveryLog, type ReadDiscoveryLogOptions } from './nvme-driver/discovery.js';
export { attachQpair, type AttachOptions, type QpairDescriptor } from './nvme-driver/descriptor.js';
export { QueuePair, type IoCallback, type QueuePairOptions, type RawCompletion } from './nvme-driver/queue-pair.js';
export { Namespace } from './nvme-driver/namespace.js';
export { decodeAsyncEvent, type AsyncEvent } from './nvme-driver/async-events.js';
export { ConnectRejectedError } from './nvme-driver/fabrics.js';
export type { GetLogPageOptions, SetFeaturesOptions } from './nvme-driver/admin-commands.js';
export { DEFAULT_OPTIONS, type ControllerOptions } from './nvme-driver/options.js';
export { formatCommand, formatCompletion } from './nvme-driver/trace.js';
export {
  DEFAULT_TRSVCID,
  DISCOVERY_NQN,
  formatTransportId,
  parseTransportId,
  type AdrFam,
  type TransportId,
  type TrType,
} from './nvme-driver/transport-id.js';

// Errors.
export * from './spec/errors.js';

// The NVMe definitions an application needs to build commands and read results.
export * from './spec/status.js';
export * from './spec/opcodes.js';
export * from './spec/sqe.js';
export * from './spec/cqe.js';
export * from './spec/registers.js';
export * from './spec/features.js';
export * from './spec/commands.js';
export * from './spec/identify.js';
export * from './spec/identify-controller.js';
export * from './spec/identify-namespace.js';
export * from './spec/namespace-lists.js';
export * from './spec/log-pages.js';
export * from './spec/discovery-log.js';
export * from './spec/fabrics.js';

// Transport registration, for out-of-tree transports.
export { findTransport, registerTransport } from './transport/transport.js';
export type * from './transport/transport.js';
