/**
 * Discovery (SPDK's nvme_fabric_ctrlr_discover, Linux's nvmf_get_discovery_log):
 * read a discovery controller's log with the generation-counter check, and
 * connect to every NVM subsystem it lists.
 */
import { LogPageId } from '../spec/log-pages.js';
import { ProtocolError } from '../spec/errors.js';
import {
  DISCOVERY_LOG_HEADER_SIZE,
  discAdrFamName,
  DiscSubType,
  discTrTypeName,
  discoveryLogHeaderGenctr,
  discoveryLogHeaderNumrec,
  discoveryLogSize,
  parseDiscoveryLog,
  type DiscoveryLog,
  type DiscoveryLogEntry,
} from '../spec/discovery-log.js';
import { connect, type Controller } from './controller.js';
import type { ControllerOptions } from './options.js';
import { expandTransportId } from './transports.js';
import { DISCOVERY_NQN, formatTransportId, parseTransportId, type AdrFam, type TransportId, type TrType } from './transport-id.js';

/** Reads of a log that keeps changing give up after this many tries (Linux's count). */
const MAX_LOG_READS = 10;

/** The transports of a discovery log this driver can connect through. */
function reachableTrType(trtype: number): TrType | undefined {
  const name = discTrTypeName(trtype);
  return name === 'TCP' || name === 'RDMA' ? name : undefined;
}
const WILDCARD_ADDRESSES = new Set(['0.0.0.0', '::']);

/** Options of {@link readDiscoveryLog}. */
export interface ReadDiscoveryLogOptions {
  /** Receives the bytes of the page the log was parsed from (for hex dumps). */
  onPage?: (page: Buffer) => void;
}

/**
 * Reads the whole discovery log of `ctrlr`: header, then every record, then the
 * header again; if GENCTR moved (or NUMREC changed) in between, reads again.
 * @returns the log as parsed: GENCTR, NUMREC, RECFMT and the entries
 * @throws ProtocolError when the log never holds still
 */
export async function readDiscoveryLog(ctrlr: Controller, opts: ReadDiscoveryLogOptions = {}): Promise<DiscoveryLog> {
  for (let attempt = 1; attempt <= MAX_LOG_READS; attempt++) {
    const header = await ctrlr.getLogPage(LogPageId.DISCOVERY, DISCOVERY_LOG_HEADER_SIZE);
    const numrec = discoveryLogHeaderNumrec(header);
    const page = numrec === 0 ? header : await ctrlr.getLogPage(LogPageId.DISCOVERY, discoveryLogSize(numrec));
    const again = numrec === 0 ? header : await ctrlr.getLogPage(LogPageId.DISCOVERY, DISCOVERY_LOG_HEADER_SIZE);
    const genctr = discoveryLogHeaderGenctr(page);
    if (genctr === discoveryLogHeaderGenctr(again) && discoveryLogHeaderNumrec(page) === numrec) {
      opts.onPage?.(page);
      return parseDiscoveryLog(page);
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
    return (await readDiscoveryLog(ctrlr)).entries;
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
  const trtype = reachableTrType(entry.trtype);
  if (!trtype) return undefined;
  const traddr = WILDCARD_ADDRESSES.has(entry.traddr) && via.traddr ? via.traddr : entry.traddr;
  const adrfam: AdrFam | undefined = discAdrFamName(entry.adrfam);
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
 * for PCIe without traddr, to every controller bound to vfio-pci (those the
 * kernel holds are told to `opts.notice`); otherwise to that controller. All or nothing: if one
 * connect fails, those already made are detached and the error is thrown.
 */
export async function connectAll(trid: string | TransportId, opts: ControllerOptions = {}): Promise<Controller[]> {
  const id = typeof trid === 'string' ? parseTransportId(trid) : trid;
  const probed = expandTransportId(id, opts.notice);
  if (probed.length !== 1 || probed[0] !== id) return connectEach(probed, opts);
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
  return connectEach(targets, opts);
}

/** Connects to each transport ID in order; if one fails, detaches those already made and throws. */
async function connectEach(targets: readonly TransportId[], opts: ControllerOptions): Promise<Controller[]> {
  const controllers: Controller[] = [];
  try {
    for (const target of targets) controllers.push(await connect(target, opts));
  } catch (err) {
    await Promise.all(controllers.map((c) => c.detach()));
    throw err;
  }
  return controllers;
}
