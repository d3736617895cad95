/**
 * NVMe/TCP host transport. Importing this module registers it under trtype
 * `TCP`; the driver then finds it through the transport registry.
 */
import { registerTransport } from '../transport.js';
import { tcpTransport } from './tcp-controller.js';

registerTransport(tcpTransport);

export { tcpTransport, TcpController, tcpEndpoint, formatEndpoint } from './tcp-controller.js';
export {
  TcpQpair,
  TCP_MAX_TRANSFER_SIZE,
  ADMIN_IN_CAPSULE_DATA_SIZE,
  DEFAULT_IO_IN_CAPSULE_DATA_SIZE,
  type TcpEndpoint,
} from './tcp-qpair.js';
