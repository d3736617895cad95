import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { FeatureId } from '../../../src/spec/features.js';
import { AdminOpcode } from '../../../src/spec/opcodes.js';
import { GenericStatus } from '../../../src/spec/status.js';
import { connectIo, DISCOVERY_NQN, enableController, makeTarget, setFeaturesSqe, st, statusOf } from './harness.js';

function adminSqe(opc: number): Buffer {
  const sqe = Buffer.alloc(64);
  sqe[0] = opc;
  return sqe;
}

describe('keep alive timeout', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('tears down the whole association when no command comes within KATO plus one period of grace', () => {
    const { target, subsystem } = makeTarget();
    const { admin, cntlid } = enableController(target, undefined, { kato: 2000 });
    const { io } = connectIo(target, cntlid);
    expect(admin.send(adminSqe(AdminOpcode.ASYNC_EVENT_REQUEST))).toBeUndefined();
    vi.advanceTimersByTime(2000);
    expect(admin.terminations).toEqual([]);
    vi.advanceTimersByTime(2000);
    expect(admin.terminations).toHaveLength(1);
    expect(admin.terminations[0]).toMatch(/keep alive/);
    expect(io.terminations).toEqual(admin.terminations);
    expect(subsystem.controllers.has(cntlid)).toBe(false);
    expect(statusOf(admin.completions.at(-1)!)).toBe(st(0, GenericStatus.ABORTED_SQ_DELETION));
    expect(subsystem.unsafeShutdowns).toBe(1);
    // The queues answer no more commands; closing them afterwards is harmless.
    expect(statusOf(admin.run(adminSqe(AdminOpcode.KEEP_ALIVE)))).toBe(st(0, GenericStatus.COMMAND_SEQUENCE_ERROR));
    io.qp.close('socket closed');
    admin.qp.close('socket closed');
  });

  it('stays up while Keep Alive (or any command) keeps coming', () => {
    const { target, subsystem } = makeTarget();
    const { admin, cntlid } = enableController(target, undefined, { kato: 2000 });
    for (let t = 0; t < 20_000; t += 1500) {
      expect(statusOf(admin.run(adminSqe(AdminOpcode.KEEP_ALIVE)))).toBe('0/0x00');
      vi.advanceTimersByTime(1500);
    }
    const { io } = connectIo(target, cntlid);
    for (let t = 0; t < 20_000; t += 1500) {
      const flush = Buffer.alloc(64);
      flush.writeUInt32LE(1, 4);
      io.run(flush);
      vi.advanceTimersByTime(1500);
    }
    expect(admin.terminations).toEqual([]);
    expect(subsystem.controllers.has(cntlid)).toBe(true);
    target.close();
  });

  it('Set Features KATO 0 turns the timer off; a new KATO restarts it', () => {
    const { target } = makeTarget();
    const { admin } = enableController(target, undefined, { kato: 1000 });
    admin.run(setFeaturesSqe(FeatureId.KEEP_ALIVE_TIMER, 0));
    vi.advanceTimersByTime(60_000);
    expect(admin.terminations).toEqual([]);
    admin.run(setFeaturesSqe(FeatureId.KEEP_ALIVE_TIMER, 3000));
    vi.advanceTimersByTime(6000);
    expect(admin.terminations).toHaveLength(1);
  });

  it('a discovery association without KATO still expires, after Linux nvmet\'s 120 s', () => {
    const { target } = makeTarget();
    const { admin } = enableController(target, DISCOVERY_NQN);
    vi.advanceTimersByTime(119_000);
    expect(admin.terminations).toEqual([]);
    vi.advanceTimersByTime(121_000);
    expect(admin.terminations).toHaveLength(1);
  });

  it('target.close() stops every timer', () => {
    const { target } = makeTarget();
    enableController(target, undefined, { kato: 1000 });
    target.close();
    expect(vi.getTimerCount()).toBe(0);
  });
});
