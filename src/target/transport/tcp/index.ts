/** The target's NVMe/TCP transport: the listener, its options and listen-address parsing. */
export { TcpListener, type TcpListenerOptions } from './tcp-listener.js';
export type { ListeningTargetCore } from '../target-listener.js';
export { TCP_TRANSPORT_OPTIONS, resolveTcpTransportOptions, type TcpOptionInfo, type TcpTransportOptions } from './options.js';
export { formatListenUrl, parseListenUrl } from '../listen-address.js';
