/**
 * Listener addresses: where a transport accepts connections, as the discovery
 * log and SPDK's `nvmf_subsystem_add_listener` describe them.
 */
import { ConfigError } from '../spec/errors.js';
import type { TargetConnectionInfo } from './transport/transport.js';

/** A transport address a target listens on. */
export interface ListenerAddress {
  trtype: 'TCP' | 'RDMA';
  adrfam: 'IPv4' | 'IPv6';
  /** An IP address; `0.0.0.0` / `::` listen on every address of the family. */
  traddr: string;
  /** Port, as a decimal string (`4420`). */
  trsvcid: string;
}

/** A listener registered with the target: its address and the port ID the discovery log shows. */
export interface Listener extends ListenerAddress {
  portid: number;
}

const WILDCARDS = new Set(['0.0.0.0', '::', '[::]']);

/** True for `0.0.0.0` and `::`: the discovery log then shows the address the host reached. */
export function isWildcardAddress(traddr: string): boolean {
  return WILDCARDS.has(traddr);
}

/** Same transport, family and port, and the same address or a wildcard. */
export function listenerMatches(listener: ListenerAddress, addr: ListenerAddress | TargetConnectionInfo): boolean {
  return (
    listener.trtype === addr.trtype &&
    listener.adrfam === addr.adrfam &&
    listener.trsvcid === addr.trsvcid &&
    (listener.traddr === addr.traddr || isWildcardAddress(listener.traddr))
  );
}

/** Exactly the same address (for add/remove). */
export function sameListener(a: ListenerAddress, b: ListenerAddress): boolean {
  return a.trtype === b.trtype && a.adrfam === b.adrfam && a.traddr === b.traddr && a.trsvcid === b.trsvcid;
}

/** `trtype:TCP adrfam:IPv4 traddr:127.0.0.1 trsvcid:4420`, as SPDK prints a transport ID. */
export function formatListener(addr: ListenerAddress): string {
  return `trtype:${addr.trtype} adrfam:${addr.adrfam} traddr:${addr.traddr} trsvcid:${addr.trsvcid}`;
}

/**
 * Checks a listener address given by a user.
 * @throws ConfigError naming the bad field
 */
export function validateListenerAddress(addr: ListenerAddress): ListenerAddress {
  if (addr.trtype !== 'TCP' && addr.trtype !== 'RDMA') throw new ConfigError('trtype', `expected TCP or RDMA, got '${String(addr.trtype)}'`);
  if (addr.adrfam !== 'IPv4' && addr.adrfam !== 'IPv6') throw new ConfigError('adrfam', `expected IPv4 or IPv6, got '${String(addr.adrfam)}'`);
  if (typeof addr.traddr !== 'string' || addr.traddr.length === 0 || addr.traddr.length > 255) {
    throw new ConfigError('traddr', `expected an IP address of at most 255 characters, got '${String(addr.traddr)}'`);
  }
  const port = Number(addr.trsvcid);
  if (!/^\d{1,5}$/.test(addr.trsvcid) || port > 65535) throw new ConfigError('trsvcid', `expected a port 0..65535, got '${addr.trsvcid}'`);
  return { trtype: addr.trtype, adrfam: addr.adrfam, traddr: addr.traddr, trsvcid: addr.trsvcid };
}
