/**
 * SPDK's perf output captured in ../shared/vectors (spdk_nvme_perf -q 64 -o 4096
 * -w randread -t 10 -LL), read into numbers for the report tests.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const VECTORS = fileURLToPath(new URL('../../../../shared/vectors/', import.meta.url));

export const SPDK_PERF_TEXT = readFileSync(`${VECTORS}spdk/spdk_perf_randread_q64_4k.txt`, 'utf8');

/** The capture's first line: `# <time> <command line>`, added by whoever captured it. */
export const SPDK_PERF_COMMAND = SPDK_PERF_TEXT.split('\n')[0]!;

/**
 * What SPDK printed to stdout, from `Initializing NVMe Controllers` on. The
 * capture also holds one stderr line (a qpair disconnect error at exit) that
 * the terminal interleaved before it.
 */
export const SPDK_PERF_STDOUT = SPDK_PERF_TEXT.slice(SPDK_PERF_TEXT.indexOf('Initializing NVMe Controllers'));

export const SPDK_PERF_LINES = SPDK_PERF_STDOUT.split('\n');

export interface VectorBucket {
  start: string;
  end: string;
  cumulative: string;
  count: number;
}

export const VECTOR_BUCKETS: VectorBucket[] = SPDK_PERF_LINES.flatMap((l) => {
  const m = /^\s*([\d.]+) -\s+([\d.]+):\s+([\d.]+)%\s+\(\s*(\d+)\)$/.exec(l);
  return m ? [{ start: m[1]!, end: m[2]!, cumulative: m[3]!, count: Number(m[4]) }] : [];
});

export const VECTOR_CUTOFFS: { percentile: string; latency: string }[] = SPDK_PERF_LINES.flatMap((l) => {
  const m = /^\s*([\d.]+)% :\s+([\d.]+)us$/.exec(l);
  return m ? [{ percentile: m[1]!, latency: m[2]! }] : [];
});

/** The five numbers of a `Device Information` row, as printed. */
export function rowNumbers(prefix: string): number[] {
  const line = SPDK_PERF_LINES.find((l) => l.startsWith(prefix))!;
  return line.slice(line.lastIndexOf(':') + 1).trim().split(/\s+/).map(Number);
}
