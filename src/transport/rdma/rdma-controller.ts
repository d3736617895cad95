/**
 * The NVMe/RDMA transport: a controller is an address, and every queue pair
 * is its own rdma_cm connection to it (as in Linux and SPDK).
 */
import { isIP } from 'node:net';
import type { QpairConnectOptions, Transport, TransportController, TransportQpair } from '../transport.js';
import { DEFAULT_TRSVCID, type TransportId } from '../../nvme-driver/transport-id.js';
import { ConfigError } from '../../spec/errors.js';
import { socketAddress } from '../../native/rdmacm.js';
import { RdmaQpair, type RdmaEndpoint } from './rdma-qpair.js';

/**
 * The rdma_cm address of an RDMA transport ID.
 * @throws ConfigError naming `traddr`, `trsvcid` or `adrfam` when it cannot be connected to
 */
export function rdmaEndpoint(trid: TransportId): RdmaEndpoint {
  const addr = trid.traddr;
  if (!addr) throw new ConfigError('traddr', 'NVMe/RDMA needs the target address (traddr)');
  const ip = isIP(addr);
  if (ip !== 4 && ip !== 6) throw new ConfigError('traddr', `NVMe/RDMA needs a numeric IPv4 or IPv6 address, got '${addr}'`);
  if (trid.adrfam !== undefined && trid.adrfam !== (ip === 4 ? 'IPv4' : 'IPv6')) {
    throw new ConfigError('adrfam', `${trid.adrfam} does not match traddr ${addr}`);
  }
  const svc = trid.trsvcid ?? DEFAULT_TRSVCID;
  const port = /^\d+$/.test(svc) ? Number(svc) : NaN;
  if (!(port >= 1 && port <= 65535)) throw new ConfigError('trsvcid', `expected a port from 1 to 65535, got '${svc}'`);
  return { sockaddr: socketAddress(addr, port, ip), label: ip === 6 ? `[${addr}]:${port}` : `${addr}:${port}` };
}

/** The RDMA side of one controller: connects queue pairs; each owns its CM ID, PD, CQ and QP. */
export class RdmaController implements TransportController {
  readonly fabrics = true;
  private readonly endpoint: RdmaEndpoint;

  /** @throws ConfigError when the transport ID has no usable address */
  constructor(trid: TransportId) {
    this.endpoint = rdmaEndpoint(trid);
  }

  connectQpair(opts: QpairConnectOptions): Promise<TransportQpair> {
    return RdmaQpair.connect(this.endpoint, opts);
  }

  async close(): Promise<void> {
    // Nothing is shared between queue pairs; the driver closes each.
  }
}

/** NVMe/RDMA, registered under trtype `RDMA` by importing `./index.js`. */
export const rdmaTransport: Transport = {
  trtype: 'RDMA',
  createController: (trid) => new RdmaController(trid),
};
