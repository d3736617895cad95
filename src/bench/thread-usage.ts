/**
 * CPU use of the calling thread (fio's `cpu : usr=, sys=, ctx=, majf=, minf=`
 * is per job thread). Linux gives each thread's counters in
 * /proc/thread-self/{stat,status}; Node 20 has no `threadCpuUsage`. Elsewhere
 * the whole process's `resourceUsage()` stands in (an overestimate with
 * several threads).
 */
import { readFileSync } from 'node:fs';

/** Cumulative counters; subtract two readings for an interval. */
export interface ThreadUsage {
  userUs: number;
  systemUs: number;
  /** Voluntary plus involuntary context switches. */
  ctx: number;
  majorFaults: number;
  minorFaults: number;
}

/** USER_HZ: the unit of utime/stime in /proc (100 on every Linux ABI Node runs on). */
const CLOCK_TICKS_PER_SEC = 100;

function fromProc(): ThreadUsage {
  const stat = readFileSync('/proc/thread-self/stat', 'latin1');
  // Fields after the command name, which may hold spaces and parentheses: state is field 3.
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const field = (n: number): number => Number(f[n - 3]);
  const status = readFileSync('/proc/thread-self/status', 'latin1');
  const count = (key: string): number => Number(new RegExp(`^${key}:\\s+(\\d+)`, 'm').exec(status)?.[1] ?? 0);
  const usPerTick = 1e6 / CLOCK_TICKS_PER_SEC;
  return {
    userUs: field(14) * usPerTick,
    systemUs: field(15) * usPerTick,
    ctx: count('voluntary_ctxt_switches') + count('nonvoluntary_ctxt_switches'),
    minorFaults: field(10),
    majorFaults: field(12),
  };
}

function fromProcess(): ThreadUsage {
  const r = process.resourceUsage();
  return {
    userUs: r.userCPUTime,
    systemUs: r.systemCPUTime,
    ctx: r.voluntaryContextSwitches + r.involuntaryContextSwitches,
    majorFaults: r.majorPageFault,
    minorFaults: r.minorPageFault,
  };
}

/** The calling thread's counters now. */
export function threadUsage(): ThreadUsage {
  if (process.platform === 'linux') {
    try {
      return fromProc();
    } catch {
      return fromProcess();
    }
  }
  return fromProcess();
}
