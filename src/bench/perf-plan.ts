/**
 * From attached controllers to what each worker runs, as SPDK perf's
 * `register_ns` and `associate_workers_with_ns` decide it: the namespaces
 * (`ns:N` restricts a transport ID to one), their I/O geometry, the
 * (namespace, worker) pairings, and per pairing the context settings and the
 * queue-pair descriptors (`-P` active, then `-U` idle) its worker will open.
 */
import type { Controller } from '../nvme-driver/controller.js';
import type { Namespace } from '../nvme-driver/namespace.js';
import { IoCdw12Flag } from '../spec/commands.js';
import { ConfigError } from '../spec/errors.js';
import type { NsContextConfig } from './ns-worker-context.js';
import { associateNamespaces } from './ns-association.js';
import type { NsContextPlan } from './perf-messages.js';
import { perfControllerName, perfNamespaceName } from './perf-names.js';
import { perfNamespaceGeometry, type PerfNamespaceGeometry, type PerfOptions } from './perf-options.js';
import type { PerfAssociation, PerfController } from './perf-result.js';
import { deriveSeed } from './prng.js';
import { verifyRange } from './workload.js';
import { createZipf, type ZipfDistribution } from './zipf.js';

/** A controller as perf attached it: `ns` is the transport ID's namespace restriction. */
export interface AttachedController {
  ctrlr: Controller;
  /** `ns:N` of the `-r` it came from, when given. */
  ns: number | undefined;
}

/** A namespace perf will drive (SPDK's `ns_entry`). */
export interface PerfNamespaceEntry {
  ctrlr: Controller;
  ns: Namespace;
  name: string;
  geometry: PerfNamespaceGeometry;
}

export interface PerfPlan {
  controllers: PerfController[];
  associations: PerfAssociation[];
  /** Lines SPDK prints between the controllers and the associations (queue-size warnings). */
  warnings: string[];
  /** Per worker core, in `-c` order: its contexts in association order. */
  workers: { lcore: number; contexts: NsContextPlan[] }[];
}

/** Stream ids for `deriveSeed`: one per association, and the run tag. */
const RUN_TAG_STREAM = 0x7a6;

/**
 * The namespaces of every controller, in attach order and NSID order, with
 * the I/O geometry; a namespace `-o` does not fit ends the run with `-o` named.
 *
 * @throws Error when `ns:N` names a namespace the controller does not have
 */
export function perfNamespaces(attached: readonly AttachedController[], opts: PerfOptions): PerfNamespaceEntry[] {
  const entries: PerfNamespaceEntry[] = [];
  for (const { ctrlr, ns: only } of attached) {
    const list = only === undefined ? ctrlr.namespaces : [ctrlr.getNamespace(only)];
    if (list[0] === undefined) throw new Error(`namespace ${only} does not exist on ${perfControllerName(ctrlr.trid)} (ns:${only} in -r)`);
    for (const ns of list as Namespace[]) {
      const name = perfNamespaceName(ctrlr.trid, ns.nsid);
      const geometry = perfNamespaceGeometry(opts, { name, lbaSize: ns.blockBytes, numLbas: ns.numLbas });
      entries.push({ ctrlr, ns, name, geometry });
    }
  }
  return entries;
}

/** SPDK's note when `-q` does not fit the I/O queue (the driver then queues in software). */
function queueSizeWarnings(entries: readonly PerfNamespaceEntry[], opts: PerfOptions): string[] {
  const lines: string[] = [];
  for (const { ctrlr } of entries) {
    // SPDK reserves one entry per MDTS-sized piece of an I/O, plus one.
    const perIo = Math.floor((opts.ioSizeBytes - 1) / ctrlr.maxTransferSize) + 2;
    if (opts.ioDepth * perIo > ctrlr.ioQueueSize) {
      lines.push(
        `Controller IO queue size ${ctrlr.ioQueueSize}, less than required.`,
        'Consider using lower queue depth or smaller IO size, because IO requests may be queued at the NVMe driver.',
      );
    }
  }
  return lines;
}

/**
 * The whole plan. Reserves the descriptors' queue IDs on the controllers, so
 * call it once, after checking the queue budget.
 *
 * @throws ConfigError('-P') when a controller granted fewer I/O queues than the plan needs
 */
export function buildPerfPlan(attached: readonly AttachedController[], opts: PerfOptions, seed: number): PerfPlan {
  const entries = perfNamespaces(attached, opts);
  const pairs = associateNamespaces(entries, opts.cores, opts.useEveryCore);
  const qpairsPerContext = opts.numQpairs + opts.numUnusedQpairs;

  const needed = new Map<Controller, number>();
  for (const { ns } of pairs) needed.set(ns.ctrlr, (needed.get(ns.ctrlr) ?? 0) + qpairsPerContext);
  for (const [ctrlr, count] of needed) {
    if (count > ctrlr.maxIoQueues) {
      throw new ConfigError(
        '-P',
        `${count} I/O queue pairs are needed on ${perfControllerName(ctrlr.trid)} (-P ${opts.numQpairs} + -U ${opts.numUnusedQpairs} per namespace per worker), but it granted ${ctrlr.maxIoQueues}`,
      );
    }
  }

  const zipfs = new Map<number, ZipfDistribution>();
  const zipfFor = (slots: number): ZipfDistribution | null => {
    if (!opts.random || opts.zipfTheta === 0) return null;
    let z = zipfs.get(slots);
    if (!z) zipfs.set(slots, (z = createZipf(slots, opts.zipfTheta)));
    return z;
  };
  const sharers = new Map<PerfNamespaceEntry, number>();
  for (const { ns } of pairs) sharers.set(ns, (sharers.get(ns) ?? 0) + 1);
  const seen = new Map<PerfNamespaceEntry, number>();
  const runTag = opts.verify ? deriveSeed(seed, RUN_TAG_STREAM) : null;

  const workers = opts.cores.map((lcore) => ({ lcore, contexts: [] as NsContextPlan[] }));
  const associations: PerfAssociation[] = [];
  pairs.forEach(({ ns: entry, lcore }, index) => {
    const share = seen.get(entry) ?? 0;
    seen.set(entry, share + 1);
    const { sizeInIos, ioSizeBlocks, numberIos } = entry.geometry;
    const range = opts.verify ? verifyRange(sizeInIos, sharers.get(entry)!, share) : { firstSlot: 0, slotCount: sizeInIos };
    const config: NsContextConfig = {
      name: entry.name,
      lcore,
      nsid: entry.ns.nsid,
      ioDepth: opts.ioDepth,
      ioSizeBytes: opts.ioSizeBytes,
      blockSize: entry.ns.blockBytes,
      workload: {
        random: opts.random,
        rwMixRead: opts.rwMixRead,
        ioSizeBlocks,
        firstSlot: range.firstSlot,
        slotCount: range.slotCount,
        zipf: zipfFor(range.slotCount),
        seed: deriveSeed(seed, index),
        verify: opts.verify,
        maxInFlight: opts.ioDepth,
      },
      numberIos,
      writeFlags: opts.fua ? IoCdw12Flag.FUA : 0,
      verifyRunTag: runTag,
      continueOnError: opts.continueOnError,
      errorLogInterval: opts.errorLogInterval,
    };
    const descriptors = Array.from({ length: qpairsPerContext }, () => entry.ctrlr.allocQpairDescriptor());
    workers.find((w) => w.lcore === lcore)!.contexts.push({ config, descriptors, activeQpairs: opts.numQpairs });
    associations.push({
      name: entry.name,
      lcore,
      ...(opts.numberIosPercent > 0 ? { numberIos: { count: numberIos, percent: opts.numberIosPercent } } : {}),
    });
  });

  return {
    controllers: attached.map(({ ctrlr }) => ({ name: perfControllerName(ctrlr.trid), fabrics: ctrlr.trid.trtype !== 'PCIe' })),
    associations,
    warnings: queueSizeWarnings(entries, opts),
    workers,
  };
}
