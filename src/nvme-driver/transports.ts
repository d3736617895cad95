/** Finding the transport for a transport ID through the registry (never by importing a transport folder). */
import { ConfigError } from '../spec/errors.js';
import { findTransport, type TransportController } from '../transport/transport.js';
import type { TransportId, TrType } from './transport-id.js';

const KNOWN_TRTYPES: readonly TrType[] = ['TCP', 'RDMA', 'PCIe'];

/**
 * The transport side of a controller at `trid`.
 * @throws ConfigError naming the trtype and the transports that are registered
 */
export function createTransportController(trid: TransportId): TransportController {
  const transport = findTransport(trid.trtype);
  if (!transport) {
    const registered = KNOWN_TRTYPES.filter((t) => findTransport(t) !== undefined);
    throw new ConfigError(
      'trtype',
      `no ${trid.trtype} transport is registered (registered: ${registered.length ? registered.join(', ') : 'none'}; ` +
        `importing 'nvmekit' registers TCP, RDMA and PCIe)`,
    );
  }
  return transport.createController(trid);
}
