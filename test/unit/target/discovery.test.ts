import { describe, expect, it } from 'vitest';
import { AsyncEventNoticeInfo, decodeAsyncEventCompletion } from '../../../src/spec/commands.js';
import {
  DiscSubType,
  DiscTrType,
  Eflags,
  parseDiscoveryLog,
  parseDiscoveryLogHeader,
  Treq,
} from '../../../src/spec/discovery-log.js';
import { FeatureId } from '../../../src/spec/features.js';
import { ControllerType, parseIdentifyController } from '../../../src/spec/identify-controller.js';
import { Cns } from '../../../src/spec/identify.js';
import { LogPageId, parseErrorLog } from '../../../src/spec/log-pages.js';
import { AdminOpcode } from '../../../src/spec/opcodes.js';
import { AdminCommandStatus, GenericStatus } from '../../../src/spec/status.js';
import { NvmfTarget } from '../../../src/target/target.js';
import {
  DISCOVERY_NQN,
  enableController,
  getLogPageSqe,
  HOSTNQN,
  identifySqe,
  OTHER_HOSTNQN,
  setFeaturesSqe,
  st,
  statusOf,
  type HostQueue,
} from './harness.js';

function readDiscoveryLog(admin: HostQueue) {
  const header = parseDiscoveryLogHeader(admin.run(getLogPageSqe(LogPageId.DISCOVERY, 1024)).data!);
  const size = 1024 + Number(header.numrec) * 1024;
  return parseDiscoveryLog(admin.run(getLogPageSqe(LogPageId.DISCOVERY, size)).data!);
}

function twoSubsystemTarget() {
  const target = new NvmfTarget();
  target.addListener({ trtype: 'TCP', adrfam: 'IPv4', traddr: '127.0.0.1', trsvcid: '4420' });
  const open = target.createSubsystem({ nqn: 'nqn.2016-06.io.nvmekit:open', allowAnyHost: true });
  const closed = target.createSubsystem({ nqn: 'nqn.2016-06.io.nvmekit:closed', hosts: [OTHER_HOSTNQN] });
  return { target, open, closed };
}

describe('discovery controller', () => {
  it('identifies as a discovery controller of the discovery subsystem', () => {
    const { target } = twoSubsystemTarget();
    const { admin } = enableController(target, DISCOVERY_NQN);
    const id = parseIdentifyController(admin.run(identifySqe(Cns.CONTROLLER)).data!);
    expect(id).toMatchObject({ cntrltype: ControllerType.DISCOVERY, subnqn: DISCOVERY_NQN, nn: 0, sqes: 0, cqes: 0, kas: 10 });
    expect(id.oaes >>> 31).toBe(1);
    expect(statusOf(admin.run(identifySqe(Cns.NAMESPACE, 1)))).toBe(st(0, GenericStatus.INVALID_FIELD));
    expect(statusOf(admin.run(setFeaturesSqe(FeatureId.NUMBER_OF_QUEUES, 0)))).toBe(st(0, GenericStatus.INVALID_FIELD));
    const abort = Buffer.alloc(64);
    abort[0] = AdminOpcode.ABORT;
    expect(statusOf(admin.run(abort))).toBe(st(0, GenericStatus.INVALID_OPCODE));
    expect(statusOf(admin.run(getLogPageSqe(LogPageId.SMART_HEALTH, 512)))).toBe(st(1, AdminCommandStatus.INVALID_LOG_PAGE));
    // The error log is there (Identify ELPE says so) and lists the failures just seen.
    const errors = parseErrorLog(admin.run(getLogPageSqe(LogPageId.ERROR_INFORMATION, 64 * 128)).data!);
    expect(errors.filter((e) => e.error_count > 0n)).toHaveLength(4);
  });

  it('lists the discovery subsystem and the subsystems this host may connect to, per listener', () => {
    const { target } = twoSubsystemTarget();
    const { admin } = enableController(target, DISCOVERY_NQN);
    const log = readDiscoveryLog(admin);
    expect(log.genctr).toBe(BigInt(target.generation));
    expect(log.entries.map((e) => e.subnqn)).toEqual([DISCOVERY_NQN, 'nqn.2016-06.io.nvmekit:open']);
    expect(log.entries[0]).toMatchObject({
      trtype: DiscTrType.TCP,
      adrfam: 1,
      subtype: DiscSubType.CURRENT_DISCOVERY,
      eflags: Eflags.DUPRETINFO | Eflags.EPCSD,
    });
    expect(log.entries[1]).toMatchObject({
      trtype: DiscTrType.TCP,
      adrfam: 1,
      subtype: DiscSubType.NVME,
      treq: Treq.SQ_FLOW_CONTROL_DISABLE,
      portid: 0,
      cntlid: 0xffff,
      asqsz: 32,
      eflags: 0,
      trsvcid: '4420',
      traddr: '127.0.0.1',
      tsas: { sectype: 0 },
    });
    const allowed = enableController(target, DISCOVERY_NQN, { hostnqn: OTHER_HOSTNQN });
    expect(readDiscoveryLog(allowed.admin).entries.map((e) => e.subnqn)).toEqual([
      DISCOVERY_NQN,
      'nqn.2016-06.io.nvmekit:open',
      'nqn.2016-06.io.nvmekit:closed',
    ]);
  });

  it('gives one entry per reachable listener and shows a wildcard listener as the address reached', () => {
    const { target, open } = twoSubsystemTarget();
    target.addListener({ trtype: 'TCP', adrfam: 'IPv6', traddr: '::', trsvcid: '4421' });
    open.addListener({ trtype: 'TCP', adrfam: 'IPv4', traddr: '127.0.0.1', trsvcid: '4420' });
    const { admin } = enableController(target, DISCOVERY_NQN);
    const entries = readDiscoveryLog(admin).entries;
    expect(entries.map((e) => `${e.subnqn} ${e.traddr}:${e.trsvcid} port ${e.portid}`)).toEqual([
      `${DISCOVERY_NQN} 127.0.0.1:4420 port 0`,
      `${DISCOVERY_NQN} 127.0.0.1:4421 port 1`,
      'nqn.2016-06.io.nvmekit:open 127.0.0.1:4420 port 0',
    ]);
    expect(entries[1]!.adrfam).toBe(2);
  });

  it('bumps the generation counter on every change and honours offset and length', () => {
    const { target, closed } = twoSubsystemTarget();
    const { admin } = enableController(target, DISCOVERY_NQN, { hostnqn: HOSTNQN });
    const gens = [readDiscoveryLog(admin).genctr];
    closed.addHost(HOSTNQN);
    gens.push(readDiscoveryLog(admin).genctr);
    target.addListener({ trtype: 'TCP', adrfam: 'IPv4', traddr: '127.0.0.2', trsvcid: '4420' });
    gens.push(readDiscoveryLog(admin).genctr);
    target.deleteSubsystem('nqn.2016-06.io.nvmekit:open');
    gens.push(readDiscoveryLog(admin).genctr);
    expect(new Set(gens).size).toBe(4);
    expect([...gens].sort((a, b) => Number(a - b))).toEqual(gens);

    const whole = admin.run(getLogPageSqe(LogPageId.DISCOVERY, 1024 * 5)).data!;
    const second = admin.run(getLogPageSqe(LogPageId.DISCOVERY, 1024, { offset: 2048 })).data!;
    expect(second.equals(whole.subarray(2048, 3072))).toBe(true);
    expect(second.toString('latin1', 256, 256 + DISCOVERY_NQN.length)).toBe(DISCOVERY_NQN);
  });

  it('reports a discovery log change through an AER once the host asked for it', () => {
    const { target } = twoSubsystemTarget();
    const { admin } = enableController(target, DISCOVERY_NQN);
    admin.run(setFeaturesSqe(FeatureId.ASYNC_EVENT_CONFIGURATION, 0x8000_0000));
    const aer = Buffer.alloc(64);
    aer[0] = AdminOpcode.ASYNC_EVENT_REQUEST;
    expect(admin.send(aer)).toBeUndefined();
    target.createSubsystem({ nqn: 'nqn.2016-06.io.nvmekit:new', allowAnyHost: true });
    const event = decodeAsyncEventCompletion(admin.completions.at(-1)!.cdw0);
    expect(event).toMatchObject({ info: AsyncEventNoticeInfo.DISCOVERY_LOG_CHANGE, logPageId: LogPageId.DISCOVERY });
  });
});
