/**
 * Listen addresses written as URLs, one scheme per transport:
 * `tcp://127.0.0.1:4420`, `rdma://192.0.2.1:4420`, `tcp://[::1]:4420`,
 * `tcp://0.0.0.0:0` (port 0: the system picks a free port).
 */
import { isIP } from 'node:net';
import { ConfigError } from '../../spec/errors.js';
import type { ListenerAddress } from '../listener.js';

/** URL scheme of each transport type. */
const SCHEME_OF: Readonly<Record<ListenerAddress['trtype'], string>> = { TCP: 'tcp', RDMA: 'rdma' };
const TRTYPE_OF: Readonly<Record<string, ListenerAddress['trtype']>> = Object.fromEntries(
  Object.entries(SCHEME_OF).map(([trtype, scheme]) => [scheme, trtype as ListenerAddress['trtype']]),
);

/** The scheme with its article, for messages. */
const A_SCHEME: Readonly<Record<ListenerAddress['trtype'], string>> = { TCP: 'a tcp://', RDMA: 'an rdma://' };

const URL_RE = /^([a-z]+):\/\/(?:\[([^\]]+)\]|([^:/[\]]+)):(\d{1,5})$/i;

/**
 * Parses `SCHEME://ADDR:PORT` (IPv6 in brackets), SCHEME being `tcp` or `rdma`.
 * @param key names the flag or parameter in the error (`--listen`)
 * @throws ConfigError for another scheme, a missing port, a host name, or a port above 65535
 */
export function parseListenUrl(url: string, key = 'listen'): ListenerAddress {
  const m = URL_RE.exec(url.trim());
  const trtype = m ? TRTYPE_OF[m[1]!.toLowerCase()] : undefined;
  if (!m || trtype === undefined) {
    throw new ConfigError(key, `expected tcp://ADDR:PORT or rdma://ADDR:PORT (IPv6 as tcp://[::1]:4420), got '${url}'`);
  }
  const traddr = m[2] ?? m[3]!;
  const family = isIP(traddr);
  if (family === 0) throw new ConfigError(key, `expected an IPv4 or IPv6 address, got '${traddr}' in '${url}'`);
  if (m[2] !== undefined && family !== 6) throw new ConfigError(key, `brackets are for IPv6 addresses, got '[${traddr}]'`);
  const port = Number(m[4]);
  if (port > 65535) throw new ConfigError(key, `expected a port from 0 to 65535, got ${port}`);
  return { trtype, adrfam: family === 4 ? 'IPv4' : 'IPv6', traddr, trsvcid: String(port) };
}

/** The URL form of a listener address. */
export function formatListenUrl(addr: ListenerAddress): string {
  const host = addr.adrfam === 'IPv6' ? `[${addr.traddr}]` : addr.traddr;
  return `${SCHEME_OF[addr.trtype]}://${host}:${addr.trsvcid}`;
}

/**
 * The address a `trtype` listener is asked to listen on, as a URL or a ListenerAddress.
 * @throws ConfigError for a malformed URL, or an address of another transport
 */
export function listenAddressFor(trtype: ListenerAddress['trtype'], addr: ListenerAddress | string): ListenerAddress {
  const want = typeof addr === 'string' ? parseListenUrl(addr) : addr;
  if (want.trtype !== trtype) {
    const scheme = SCHEME_OF[trtype];
    throw new ConfigError('listen', `${scheme} listener given ${A_SCHEME[want.trtype]} address: expected ${scheme}://ADDR:PORT, got '${formatListenUrl(want)}'`);
  }
  return want;
}
