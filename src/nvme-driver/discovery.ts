/**
 * Discovery (SPDK's nvme_fabric_ctrlr_discover, Linux's nvmf_get_discovery_log):
 * read a discovery controller's log with the generation-counter check, and
 * connect to every NVM subsystem it lists.
 */
import { LogPageId } from '../spec/log-pages.js';
import { ProtocolError } from '../spec/errors.js';
import {
  DISCOVERY_LOG_HEADER_SIZE,
  DiscAdrFam,
  DiscSubType,
  DiscTrType,
  discoveryLogHeaderGenctr,
  discoveryLogHeaderNumrec,
  discoveryLogSize,
  parseDiscoveryLog,
  type DiscoveryLogEntry,
} from '../spec/discovery-log.js';
import { connect, type Controller } from './controller.js';
import type { ControllerOptions } from './options.js';
import { DISCOVERY_NQN, formatTransportId, parseTransportId, type AdrFam, type TransportId, type TrType } from './transport-id.js';

/** Reads of a log that keeps changing give up after this many tries (Linux's count). */
const MAX_LOG_READS = 10;

const TRTYPES = new Map<number, TrType>([
  [DiscTrType.TCP, 'TCP'],
  [DiscTrType.RDMA, 'RDMA'],
]);
const ADRFAMS = new Map<number, AdrFam>([
  [DiscAdrFam.IPV4, 'IPv4'],
  [DiscAdrFam.IPV6, 'IPv6'],
  [DiscAdrFam.IB, 'IB'],
  [DiscAdrFam.FC, 'FC'],
  [DiscAdrFam.INTRA_HOST, 'INTRA_HOST'],
]);
const WILDCARD_ADDRESSES = new Set(['0.0.0.0', '::']);

/**
 * Reads the whole discovery log of `ctrlr`: header, then every record, then the
 * header again; if GENCTR moved (or NUMREC changed) in between, reads again.
 * @throws ProtocolError when the log never holds still
 */
export async function readDiscoveryLog(ctrlr: Controller): Promise<DiscoveryLogEntry[]> {
  for (let attempt = 1; attempt <= MAX_LOG_READS; attempt++) {
    const header = await ctrlr.getLogPage(LogPageId.DISCOVERY, DISCOVERY_LOG_HEADER_SIZE);
    const numrec = discoveryLogHeaderNumrec(header);
    const page = numrec === 0 ? header : await ctrlr.getLogPage(LogPageId.DISCOVERY, discoveryLogSize(numrec));
    const again = numrec === 0 ? header : await ctrlr.getLogPage(LogPageId.DISCOVERY, DISCOVERY_LOG_HEADER_SIZE);
    const genctr = discoveryLogHeaderGenctr(page);
    if (genctr === discoveryLogHeaderGenctr(again) && discoveryLogHeaderNumrec(page) === numrec) {
      return parseDiscoveryLog(page).entries;
    }
  }
  throw new ProtocolError('genctr', 'changing', `the discovery log changed on each of ${MAX_LOG_READS} reads`);
}

/**
 * Connects to the discovery controller at `trid` (subnqn defaults to the
 * discovery NQN; keep-alive is off unless `opts` sets it), reads its log and
 * detaches. Returns the entries as the controller gave them.
 */
export async function discover(trid: string | TransportId, opts: ControllerOptions = {}): Promise<DiscoveryLogEntry[]> {
  const ctrlr = await connect(trid, { keepAliveTimeoutMs: 0, ...opts });
  try {
    return await readDiscoveryLog(ctrlr);
  } finally {
    await ctrlr.detach();
  }
}

/**
 * The transport ID of a discovery log entry, or undefined for a transport this
 * driver cannot reach. A wildcard `traddr` (a target listening on 0.0.0.0 or ::)
 * means the address the discovery controller was reached at.
 */
export function entryTransportId(entry: DiscoveryLogEntry, via: TransportId): TransportId | undefined {
  const trtype = TRTYPES.get(entry.trtype);
  if (!trtype) return undefined;
  const traddr = WILDCARD_ADDRESSES.has(entry.traddr) && via.traddr ? via.traddr : entry.traddr;
  const adrfam = ADRFAMS.get(entry.adrfam);
  return parseTransportId(
    formatTransportId({
      trtype,
      ...(adrfam ? { adrfam } : {}),
      traddr,
      trsvcid: entry.trsvcid,
      subnqn: entry.subnqn,
      ...(via.hostnqn ? { hostnqn: via.hostnqn } : {}),
      ...(via.hostaddr ? { hostaddr: via.hostaddr } : {}),
    }),
  );
}

/**
 * What spdk_nvme_perf does with a transport ID: for the discovery NQN, connect
 * to every NVM subsystem the discovery log lists (once each, in log order);
 * for any other subnqn, connect to that controller. All or nothing: if one
 * connect fails, those already made are detached and the error is thrown.
 */
export async function connectAll(trid: string | TransportId, opts: ControllerOptions = {}): Promise<Controller[]> {
  const id = typeof trid === 'string' ? parseTransportId(trid) : trid;
  if (id.trtype === 'PCIe' || (id.subnqn ?? DISCOVERY_NQN) !== DISCOVERY_NQN) return [await connect(id, opts)];
  const seen = new Set<string>();
  const targets: TransportId[] = [];
  for (const entry of await discover(id, { ...opts, keepAliveTimeoutMs: 0 })) {
    if (entry.subtype !== DiscSubType.NVME) continue;
    const target = entryTransportId(entry, id);
    if (!target) {
      opts.trace?.(`discovery entry ${entry.subnqn} (trtype ${entry.trtype}) skipped: no transport for it`);
      continue;
    }
    const key = formatTransportId(target);
    if (seen.has(key)) continue;
    seen.add(key);
    targets.push(target);
  }
  const controllers: Controller[] = [];
  try {
    for (const target of targets) controllers.push(await connect(target, opts));
  } catch (err) {
    await Promise.all(controllers.map((c) => c.detach()));
    throw err;
  }
  return controllers;
}
