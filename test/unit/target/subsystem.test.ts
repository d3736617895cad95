import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../../src/spec/errors.js';
import { MallocBlockDevice } from '../../../src/target/bdev/malloc.js';
import { nqnProblem, validateNqn } from '../../../src/target/nqn.js';
import { NvmfTarget } from '../../../src/target/target.js';
import { connectIo, DISCOVERY_NQN, enableController, makeTarget, OTHER_HOSTNQN, SUBNQN } from './harness.js';

describe('NQN validation', () => {
  it.each([
    'nqn.2016-06.io.spdk:cnode1',
    'nqn.2024-01.io.lab:sub1',
    'nqn.2014-08.org.nvmexpress:uuid:6b1f5a3e-2f0e-4a63-9d8e-0c4c2c1b7d10',
    DISCOVERY_NQN,
    'nqn.2014-08.com.example-corp.storage:a:b:c',
  ])('accepts %s', (nqn) => {
    expect(nqnProblem(nqn)).toBeNull();
  });

  it.each([
    ['no prefix', 'iqn.2016-06.io.spdk:cnode1', /expected 'nqn/],
    ['bad month', 'nqn.2016-13.io.spdk:x', /month/],
    ['no name', 'nqn.2016-06.io.spdk', /':name'/],
    ['empty name', 'nqn.2016-06.io.spdk:', /':name'/],
    ['label starting with a digit', 'nqn.2016-06.io.9spdk:x', /label '9spdk'/],
    ['bad UUID', 'nqn.2014-08.org.nvmexpress:uuid:1234', /UUID/],
    ['too long', `nqn.2016-06.io.spdk:${'x'.repeat(210)}`, /223 bytes/],
  ])('rejects %s', (_what, nqn, message) => {
    expect(nqnProblem(nqn)).toMatch(message);
    expect(() => validateNqn(nqn, 'subnqn')).toThrow(ConfigError);
  });
});

describe('NvmfTarget and Subsystem', () => {
  it('starts with the discovery subsystem and refuses duplicates and bad options', () => {
    const target = new NvmfTarget();
    expect([...target.subsystems.keys()]).toEqual([DISCOVERY_NQN]);
    const s = target.createSubsystem({ nqn: SUBNQN });
    expect(s.serialNumber).toMatch(/^NVMEKIT\d{13}$/);
    expect(s.allowAnyHost).toBe(false);
    expect(() => target.createSubsystem({ nqn: SUBNQN })).toThrow(/already exists/);
    expect(() => target.createSubsystem({ nqn: DISCOVERY_NQN })).toThrow(ConfigError);
    expect(() => target.createSubsystem({ nqn: 'nqn.2016-06.io.x:y', serialNumber: 'x'.repeat(21) })).toThrow(/serialNumber/);
    expect(() => target.deleteSubsystem(DISCOVERY_NQN)).toThrow(ConfigError);
    expect(() => target.deleteSubsystem('nqn.2016-06.io.x:none')).toThrow(ConfigError);
    expect(() => new NvmfTarget({ firmwareRevision: 'too-long-rev' })).toThrow(/firmwareRevision/);
    expect(() => target.addListener({ trtype: 'TCP', adrfam: 'IPv4', traddr: '127.0.0.1', trsvcid: '99999' })).toThrow(/trsvcid/);
  });

  it('allocates NSIDs from 1, refuses used or out-of-range ones, and removes them', () => {
    const target = new NvmfTarget();
    const s = target.createSubsystem({ nqn: SUBNQN, maxNamespaces: 4 });
    const dev = () => new MallocBlockDevice({ numBlocks: 8 });
    expect(s.addNamespace(dev())).toBe(1);
    expect(s.addNamespace(dev(), 3)).toBe(3);
    expect(s.addNamespace(dev())).toBe(2);
    expect(() => s.addNamespace(dev(), 3)).toThrow(/already in use/);
    expect(() => s.addNamespace(dev(), 5)).toThrow(/1\.\.4/);
    expect(s.addNamespace(dev())).toBe(4);
    expect(() => s.addNamespace(dev())).toThrow(/already has 4/);
    s.removeNamespace(2);
    expect([...s.namespaces.keys()].sort()).toEqual([1, 3, 4]);
    expect(() => s.removeNamespace(2)).toThrow(ConfigError);
    expect(() => s.addNamespace(dev(), { nguid: 'xyz' })).toThrow(/nguid/);
  });

  it('deleteSubsystem terminates its controllers and their I/O queues', () => {
    const { target, subsystem } = makeTarget();
    const { admin, cntlid } = enableController(target);
    const { io } = connectIo(target, cntlid);
    target.deleteSubsystem(SUBNQN);
    expect(admin.terminations).toHaveLength(1);
    expect(io.terminations).toHaveLength(1);
    expect(subsystem.controllers.size).toBe(0);
    expect(target.getSubsystem(SUBNQN)).toBeUndefined();
  });

  it('removing a host drops its controllers; removing a listener drops those that came through it', () => {
    const { target, subsystem } = makeTarget({ hosts: [OTHER_HOSTNQN] });
    const mine = enableController(target, SUBNQN, { hostnqn: OTHER_HOSTNQN });
    subsystem.removeHost(OTHER_HOSTNQN);
    expect(mine.admin.terminations).toHaveLength(1);
    subsystem.addHost(OTHER_HOSTNQN);
    const again = enableController(target, SUBNQN, { hostnqn: OTHER_HOSTNQN });
    expect(target.removeListener({ trtype: 'TCP', adrfam: 'IPv4', traddr: '127.0.0.1', trsvcid: '4420' })).toBe(true);
    expect(again.admin.terminations).toHaveLength(1);
    expect(target.listeners).toHaveLength(0);
  });

  it('logs through the hook and is silent without one', () => {
    const logs: string[] = [];
    const { target } = makeTarget({ logs });
    enableController(target);
    expect(logs.some((l) => l.startsWith('info:') && l.includes('controller 1 created'))).toBe(true);
    expect(() => enableController(makeTarget().target)).not.toThrow();
  });
});
