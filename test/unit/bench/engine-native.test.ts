/**
 * The koffi libc declarations workers pin themselves with. Only calls that
 * leave this process's affinity alone: reading it, and pins the kernel refuses.
 */
import { describe, expect, it } from 'vitest';
import { currentAffinity, currentCpu, pinCurrentThread } from '../../../src/native/libc.js';

describe.runIf(process.platform === 'linux')('libc through koffi', () => {
  it('reads the affinity of the calling thread and the core it runs on, which is one of them', () => {
    const cores = currentAffinity();
    const cpu = currentCpu();
    expect(cores).not.toBeNull();
    expect(cores!.length).toBeGreaterThan(0);
    expect(cores).toEqual([...cores!].sort((a, b) => a - b));
    expect(cores).toContain(cpu);
  });

  it('reports a pin the kernel refuses with the errno and the core, without throwing', () => {
    const outcome = pinCurrentThread(1023);
    expect(outcome).toEqual({
      pinned: false,
      core: 1023,
      reason: 'sched_setaffinity(core 1023): EINVAL, the core is not online or not allowed to this process (cpuset, taskset)',
    });
  });

  it('refuses a core outside cpu_set_t before asking the kernel', () => {
    expect(pinCurrentThread(4096)).toEqual({ pinned: false, core: 4096, reason: 'core 4096 is outside 0..1023' });
  });
});
