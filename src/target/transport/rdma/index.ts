/**
 * The target's NVMe/RDMA transport: the listener and its options. Importing
 * this module loads no native library; constructing an RdmaListener does.
 */
export { RdmaListener, type RdmaListenerOptions } from './rdma-listener.js';
export type { ListeningTargetCore } from '../target-listener.js';
export { RDMA_TRANSPORT_OPTIONS, resolveRdmaTransportOptions, type RdmaTransportOptions } from './options.js';
