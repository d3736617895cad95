/**
 * The NVMe/TCP transport: a controller is an address, and every queue pair
 * is its own TCP connection to it (as in Linux and SPDK).
 */
import { isIP } from 'node:net';
import type { QpairConnectOptions, Transport, TransportController, TransportQpair } from '../transport.js';
import { DEFAULT_TRSVCID, type AdrFam, type TransportId } from '../../nvme-driver/transport-id.js';
import { ConfigError } from '../../spec/errors.js';
import { TcpQpair, type TcpEndpoint } from './tcp-qpair.js';

/** Socket address family per transport ID `adrfam`; 0 lets the resolver choose (no adrfam, host name). */
const FAMILIES: Partial<Record<AdrFam, 4 | 6>> = { IPv4: 4, IPv6: 6 };

/**
 * The socket address of a TCP transport ID.
 * @throws ConfigError naming `traddr`, `trsvcid`, `hostsvcid` or `adrfam` when it cannot be connected to
 */
export function tcpEndpoint(trid: TransportId): TcpEndpoint {
  if (!trid.traddr) throw new ConfigError('traddr', 'NVMe/TCP needs the target address (traddr)');
  let family: 0 | 4 | 6 = 0;
  if (trid.adrfam !== undefined) {
    const f = FAMILIES[trid.adrfam];
    if (f === undefined) throw new ConfigError('adrfam', `NVMe/TCP runs over IPv4 or IPv6, not ${trid.adrfam}`);
    family = f;
  } else {
    const ip = isIP(trid.traddr);
    if (ip === 4 || ip === 6) family = ip;
  }
  const endpoint: TcpEndpoint = { host: trid.traddr, port: port(trid.trsvcid ?? DEFAULT_TRSVCID, 'trsvcid', 1), family };
  if (trid.hostaddr !== undefined) endpoint.localAddress = trid.hostaddr;
  if (trid.hostsvcid !== undefined) endpoint.localPort = port(trid.hostsvcid, 'hostsvcid', 0);
  return endpoint;
}

/** `127.0.0.1:4420`, or `[::1]:4420` for IPv6. */
export function formatEndpoint(e: TcpEndpoint): string {
  return e.family === 6 || e.host.includes(':') ? `[${e.host}]:${e.port}` : `${e.host}:${e.port}`;
}

function port(value: string, key: string, min: number): number {
  const n = /^\d+$/.test(value) ? Number(value) : NaN;
  if (!(n >= min && n <= 65535)) throw new ConfigError(key, `expected a port from ${min} to 65535, got '${value}'`);
  return n;
}

/** The TCP side of one controller: connects queue pairs; holds nothing controller-wide. */
export class TcpController implements TransportController {
  readonly fabrics = true;
  private readonly endpoint: TcpEndpoint;
  private readonly label: string;

  /** @throws ConfigError when the transport ID has no usable address */
  constructor(trid: TransportId) {
    this.endpoint = tcpEndpoint(trid);
    this.label = formatEndpoint(this.endpoint);
  }

  connectQpair(opts: QpairConnectOptions): Promise<TransportQpair> {
    return TcpQpair.connect(this.endpoint, this.label, opts);
  }

  async close(): Promise<void> {
    // Every queue pair owns its socket and is closed by the driver; nothing is shared.
  }
}

/** NVMe/TCP, registered under trtype `TCP` by importing `./index.js`. */
export const tcpTransport: Transport = {
  trtype: 'TCP',
  createController: (trid) => new TcpController(trid),
};
