/**
 * Which worker drives which namespace, as SPDK perf's
 * `associate_workers_with_ns` decides: round-robin over max(#namespaces,
 * #workers) so every namespace and every worker gets at least one pairing, or
 * every pair with `--use-every-core`.
 */

/** One (namespace, worker) pairing: a worker context with its own queue pairs. */
export interface Association<T> {
  ns: T;
  lcore: number;
}

/**
 * Pairings in SPDK's allocation order (the order of its `Associating ... with
 * lcore N` lines).
 *
 * @param cores the worker cores, ascending (`PerfOptions.cores`)
 */
export function associateNamespaces<T>(namespaces: readonly T[], cores: readonly number[], useEveryCore: boolean): Association<T>[] {
  if (namespaces.length === 0 || cores.length === 0) return [];
  if (useEveryCore) return cores.flatMap((lcore) => namespaces.map((ns) => ({ ns, lcore })));
  const count = Math.max(namespaces.length, cores.length);
  const out: Association<T>[] = [];
  for (let i = 0; i < count; i++) out.push({ ns: namespaces[i % namespaces.length]!, lcore: cores[i % cores.length]! });
  return out;
}
