/**
 * Socket failures as TransportErrors whose message says, in words, what went
 * wrong and where (`NVMe/TCP qid 0 to 127.0.0.1:4420: connection refused ...`).
 */
import { TransportError } from '../../spec/errors.js';

/** errno codes a user meets when a connection fails, in plain words. */
const SOCKET_ERRNO_TEXT: Readonly<Record<string, string>> = {
  ECONNREFUSED: 'connection refused (is a target listening on that address and port?)',
  ECONNRESET: 'connection reset by the controller',
  ETIMEDOUT: 'connection timed out',
  EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'network unreachable',
  EADDRNOTAVAIL: 'local address not available (check hostaddr)',
  EADDRINUSE: 'local address already in use (check hostsvcid)',
  ENOTFOUND: 'address not found',
  EPIPE: 'connection closed by the controller while sending',
};

/** Wraps a socket error; `where` names the queue pair and the address. */
export function socketError(err: NodeJS.ErrnoException, where: string): TransportError {
  const code = err.code;
  const text = (code !== undefined ? SOCKET_ERRNO_TEXT[code] : undefined) ?? err.message;
  return new TransportError(`${where}: ${text}${code !== undefined ? ` (${code})` : ''}`, code, { cause: err });
}
