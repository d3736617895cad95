/**
 * The libc calls Node does not offer, declared with koffi: which cores a thread
 * may run on (`sched_setaffinity` / `sched_getaffinity`, pid 0 meaning the
 * calling thread, so each worker thread pins itself) and the core it is on now
 * (`getcpu`).
 *
 * koffi and glibc are loaded on first use. Where either is missing (a platform
 * without a koffi build, macOS, musl without `libc.so.6`) every call reports
 * why instead of throwing, so callers run unpinned and say so once.
 */
import { createRequire } from 'node:module';

/** glibc's `cpu_set_t`: 1024 CPUs, one bit each. */
const CPU_SET_BYTES = 128;
const CPU_SET_BITS = CPU_SET_BYTES * 8;

/** errno values of sched_setaffinity, in words. */
const AFFINITY_ERRNO: Readonly<Record<string, string>> = {
  EINVAL: 'the core is not online or not allowed to this process (cpuset, taskset)',
  EPERM: 'not permitted',
};

type KoffiFn = (...args: unknown[]) => number;

interface Libc {
  setAffinity: KoffiFn;
  getAffinity: KoffiFn;
  getCpu: KoffiFn;
  errnoName(): string;
}

let loaded: Libc | string | undefined;

/** The declarations, or why they cannot be had. */
function libc(): Libc | string {
  if (loaded !== undefined) return loaded;
  if (process.platform !== 'linux') return (loaded = `thread pinning needs Linux sched_setaffinity (this is ${process.platform})`);
  try {
    const koffi = createRequire(import.meta.url)('koffi') as typeof import('koffi');
    const lib = koffi.load('libc.so.6');
    const names = Object.entries(koffi.os.errno);
    loaded = {
      setAffinity: lib.func('int sched_setaffinity(int pid, size_t cpusetsize, const uint8_t *mask)') as KoffiFn,
      getAffinity: lib.func('int sched_getaffinity(int pid, size_t cpusetsize, _Out_ uint8_t *mask)') as KoffiFn,
      getCpu: lib.func('int getcpu(_Out_ uint32_t *cpu, _Out_ uint32_t *node)') as KoffiFn,
      errnoName: () => {
        const e = koffi.errno();
        return names.find(([, v]) => v === e)?.[0] ?? `errno ${e}`;
      },
    };
  } catch (err) {
    loaded = `koffi could not load libc: ${(err as Error).message.split('\n')[0]}`;
  }
  return loaded;
}

/** Whether a thread was pinned, and if not, why. */
export type PinOutcome = { pinned: true; core: number } | { pinned: false; core: number; reason: string };

/** Restricts the calling thread (worker or main) to `core`. Never throws. */
export function pinCurrentThread(core: number): PinOutcome {
  const c = libc();
  if (typeof c === 'string') return { pinned: false, core, reason: c };
  if (!Number.isInteger(core) || core < 0 || core >= CPU_SET_BITS) {
    return { pinned: false, core, reason: `core ${core} is outside 0..${CPU_SET_BITS - 1}` };
  }
  const mask = Buffer.alloc(CPU_SET_BYTES);
  mask[core >> 3] = 1 << (core & 7);
  if (c.setAffinity(0, CPU_SET_BYTES, mask) === 0) {
    // The kernel moves the thread before the call returns; getcpu confirms it.
    const cpu = currentCpu();
    return cpu === null || cpu === core ? { pinned: true, core } : { pinned: false, core, reason: `sched_setaffinity(core ${core}) succeeded but the thread runs on core ${cpu}` };
  }
  const name = c.errnoName();
  return { pinned: false, core, reason: `sched_setaffinity(core ${core}): ${name}${AFFINITY_ERRNO[name] ? `, ${AFFINITY_ERRNO[name]}` : ''}` };
}

/** The cores the calling thread may run on, ascending, or null when that cannot be read. */
export function currentAffinity(): number[] | null {
  const c = libc();
  if (typeof c === 'string') return null;
  const mask = Buffer.alloc(CPU_SET_BYTES);
  if (c.getAffinity(0, CPU_SET_BYTES, mask) !== 0) return null;
  const cores: number[] = [];
  for (let i = 0; i < CPU_SET_BITS; i++) if (mask[i >> 3]! & (1 << (i & 7))) cores.push(i);
  return cores;
}

/** The core the calling thread is running on right now, or null when that cannot be read. */
export function currentCpu(): number | null {
  const c = libc();
  if (typeof c === 'string') return null;
  const cpu = Buffer.alloc(4);
  const node = Buffer.alloc(4);
  return c.getCpu(cpu, node) === 0 ? cpu.readUInt32LE(0) : null;
}
