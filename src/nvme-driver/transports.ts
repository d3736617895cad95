/** Finding the transport for a transport ID through the registry (never by importing a transport folder). */
import { ConfigError } from '../spec/errors.js';
import { findTransport, type Transport, type TransportController } from '../transport/transport.js';
import type { TransportId, TrType } from './transport-id.js';

const KNOWN_TRTYPES: readonly TrType[] = ['TCP', 'RDMA', 'PCIe'];

/** What a transport found for a transport ID that names no single controller. */
export interface TransportProbe {
  /** One transport ID per controller to attach. */
  trids: TransportId[];
  /** Controllers seen but left out, one line each saying why and what would make them usable. */
  skipped: string[];
}

/**
 * A transport whose transport IDs may stand for several controllers (PCIe
 * without traddr: every local controller bound to vfio-pci). `probe` is not in
 * the `Transport` contract yet; transports that can enumerate carry it.
 */
export interface ProbingTransport extends Transport {
  /**
   * Lists the controllers `trid` stands for; called only for a transport ID without `traddr`.
   * @throws ConfigError when none can be attached (naming those skipped and why)
   */
  probe(trid: TransportId): TransportProbe;
}

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

const stderrNotice = (line: string): void => void process.stderr.write(`${line}\n`);

/**
 * The controllers a transport ID stands for: itself, unless it has no `traddr`
 * and its transport can enumerate (PCIe), in which case every controller the
 * transport finds. Controllers left out are told to `notice`, one line each.
 */
export function expandTransportId(trid: TransportId, notice: (line: string) => void = stderrNotice): TransportId[] {
  const transport = findTransport(trid.trtype) as Partial<ProbingTransport> | undefined;
  if (trid.traddr !== undefined || typeof transport?.probe !== 'function') return [trid];
  const { trids, skipped } = transport.probe(trid);
  skipped.forEach((line) => notice(line));
  return trids;
}
