/**
 * Listen addresses written as URLs: `tcp://127.0.0.1:4420`, `tcp://[::1]:4420`,
 * `tcp://0.0.0.0:0` (port 0: the system picks a free port).
 */
import { isIP } from 'node:net';
import { ConfigError } from '../../../spec/errors.js';
import type { ListenerAddress } from '../../listener.js';

const URL_RE = /^tcp:\/\/(?:\[([^\]]+)\]|([^:/[\]]+)):(\d{1,5})$/i;

/**
 * Parses `tcp://ADDR:PORT` (IPv6 in brackets).
 * @param key names the flag or parameter in the error (`--listen`)
 * @throws ConfigError for another scheme, a missing port, a host name, or a port above 65535
 */
export function parseListenUrl(url: string, key = 'listen'): ListenerAddress {
  const m = URL_RE.exec(url.trim());
  if (!m) throw new ConfigError(key, `expected tcp://ADDR:PORT (IPv6 as tcp://[::1]:4420), got '${url}'`);
  const traddr = m[1] ?? m[2]!;
  const family = isIP(traddr);
  if (family === 0) throw new ConfigError(key, `expected an IPv4 or IPv6 address, got '${traddr}' in '${url}'`);
  if (m[1] !== undefined && family !== 6) throw new ConfigError(key, `brackets are for IPv6 addresses, got '[${traddr}]'`);
  const port = Number(m[3]);
  if (port > 65535) throw new ConfigError(key, `expected a port from 0 to 65535, got ${port}`);
  return { trtype: 'TCP', adrfam: family === 4 ? 'IPv4' : 'IPv6', traddr, trsvcid: String(port) };
}

/** The URL form of a TCP listener address. */
export function formatListenUrl(addr: ListenerAddress): string {
  const host = addr.adrfam === 'IPv6' ? `[${addr.traddr}]` : addr.traddr;
  return `tcp://${host}:${addr.trsvcid}`;
}
