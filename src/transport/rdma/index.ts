/**
 * NVMe/RDMA host transport. Importing this module registers it under trtype
 * `RDMA`; libibverbs and librdmacm are loaded only when an RDMA queue pair is
 * first connected, so the import is harmless where they are not installed.
 */
import { registerTransport } from '../transport.js';
import { rdmaTransport } from './rdma-controller.js';

registerTransport(rdmaTransport);

export { rdmaTransport, RdmaController, rdmaEndpoint } from './rdma-controller.js';
export { RdmaQpair, RDMA_MAX_TRANSFER_SIZE, type RdmaEndpoint } from './rdma-qpair.js';
