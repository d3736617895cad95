import { describe, expect, it } from 'vitest';
import { decodeBits } from '../../../src/spec/bitfield.js';
import { SetFeatures, decodeCommand } from '../../../src/spec/commands.js';
import { decodeCqe } from '../../../src/spec/cqe.js';
import {
  Arbitration,
  AsyncEventConfiguration,
  FeatureCapabilities,
  FeatureId,
  FeatureSelect,
  KeepAliveTimer,
  NumberOfQueues,
  PowerManagement,
  VolatileWriteCache,
  decodeFeature,
  encodeFeature,
  featureDefinition,
  featureName,
} from '../../../src/spec/features.js';
import { AdminOpcode } from '../../../src/spec/opcodes.js';
import { commandCapsules, readStream, responseCapsules } from './capsule-streams.js';

/** Set Features commands on an admin connection, with the matching completion's dword 0. */
function setFeatures(conn: string): { fid: number; cdw11: number; cdw0: number }[] {
  const cqes = responseCapsules(readStream(`${conn}.ctrl-to-host.bin`)).map((c) => decodeCqe(c.entry));
  return commandCapsules(readStream(`${conn}.host-to-ctrl.bin`))
    .map((c) => c.entry)
    .filter((sqe) => sqe[0] === AdminOpcode.SET_FEATURES)
    .map((sqe) => {
      const { fid, cdw11 } = decodeCommand(SetFeatures, sqe);
      return { fid, cdw11, cdw0: cqes.find((c) => c.cid === sqe.readUInt16LE(2))!.cdw0 };
    });
}

describe('feature identifiers', () => {
  it('hold the spec values', () => {
    expect(FeatureId).toMatchObject({
      ARBITRATION: 0x01,
      POWER_MANAGEMENT: 0x02,
      LBA_RANGE_TYPE: 0x03,
      TEMPERATURE_THRESHOLD: 0x04,
      ERROR_RECOVERY: 0x05,
      VOLATILE_WRITE_CACHE: 0x06,
      NUMBER_OF_QUEUES: 0x07,
      INTERRUPT_COALESCING: 0x08,
      INTERRUPT_VECTOR_CONFIGURATION: 0x09,
      WRITE_ATOMICITY: 0x0a,
      ASYNC_EVENT_CONFIGURATION: 0x0b,
      AUTONOMOUS_POWER_STATE_TRANSITION: 0x0c,
      HOST_MEMORY_BUFFER: 0x0d,
      TIMESTAMP: 0x0e,
      KEEP_ALIVE_TIMER: 0x0f,
      HOST_IDENTIFIER: 0x81,
    });
    expect(FeatureSelect).toEqual({ CURRENT: 0, DEFAULT: 1, SAVED: 2, SUPPORTED_CAPABILITIES: 3 });
  });

  it('are named as in SPDK traces', () => {
    expect(featureName(FeatureId.NUMBER_OF_QUEUES)).toBe('NUMBER OF QUEUES');
    expect(featureName(FeatureId.ASYNC_EVENT_CONFIGURATION)).toBe('ASYNC EVENT CONFIGURATION');
    expect(featureName(FeatureId.ERROR_RECOVERY)).toBe('ERROR_RECOVERY');
    expect(featureName(FeatureId.HOST_MEMORY_BUFFER)).toBe('HOST MEM BUFFER');
    expect(featureName(FeatureId.RESERVATION_PERSISTENCE)).toBe('HOST RESERVE PERSIST');
    expect(featureName(FeatureId.KEEP_ALIVE_TIMER)).toBe('KEEP ALIVE TIMER');
    expect(featureName(0x00)).toBe('RESERVED');
    expect(featureName(0xc0)).toBe('RESERVED');
  });

  it('look up their value layouts by FID', () => {
    expect(featureDefinition(FeatureId.NUMBER_OF_QUEUES)).toBe(NumberOfQueues);
    expect(featureDefinition(FeatureId.LBA_RANGE_TYPE)).toBeUndefined();
  });
});

describe('feature values in the captures', () => {
  it('Linux: one I/O queue requested, 128 SQs and CQs allocated; AEN for namespace attributes and ANA', () => {
    const [noq, aec] = setFeatures('linux-host-to-linux-nvmet-tcp-plain.conn1');
    expect(noq!.fid).toBe(FeatureId.NUMBER_OF_QUEUES);
    expect(decodeFeature(NumberOfQueues, noq!.cdw11)).toEqual({ nsqr: 1, ncqr: 1 });
    expect(decodeFeature(NumberOfQueues, noq!.cdw0)).toEqual({ nsqr: 128, ncqr: 128 });
    expect(aec!.fid).toBe(FeatureId.ASYNC_EVENT_CONFIGURATION);
    expect(decodeFeature(AsyncEventConfiguration, aec!.cdw11)).toMatchObject({ shcw: 0, nan: true, fan: false, anacn: true, dlpcn: false });
  });

  it('Linux discovery controller: only discovery log change notices', () => {
    const [aec] = setFeatures('linux-host-to-linux-nvmet-tcp-plain.conn0');
    expect(decodeFeature(AsyncEventConfiguration, aec!.cdw11)).toEqual({
      shcw: 0,
      nan: false,
      fan: false,
      tln: false,
      anacn: false,
      plealcn: false,
      lsin: false,
      egealcn: false,
      nnsssn: false,
      zdcn: false,
      dlpcn: true,
    });
    expect(encodeFeature(AsyncEventConfiguration, { dlpcn: true })).toBe(aec!.cdw11);
  });

  it('SPDK: every critical warning and namespace attribute notices; 1024 queues requested', () => {
    const sets = setFeatures('spdk-identify-to-spdk-nvmf-tgt-tcp.conn0');
    const aec = sets.find((s) => s.fid === FeatureId.ASYNC_EVENT_CONFIGURATION)!;
    expect(decodeFeature(AsyncEventConfiguration, aec.cdw11)).toMatchObject({ shcw: 0x1f, nan: true, fan: false });
    const noq = sets.find((s) => s.fid === FeatureId.NUMBER_OF_QUEUES)!;
    expect(decodeFeature(NumberOfQueues, noq.cdw11)).toEqual({ nsqr: 1024, ncqr: 1024 });
  });
});

describe('feature value layouts', () => {
  it('Number of Queues is 0-based on the wire', () => {
    expect(encodeFeature(NumberOfQueues, { nsqr: 128, ncqr: 64 })).toBe(0x003f_007f);
    expect(() => encodeFeature(NumberOfQueues, { nsqr: 0 })).toThrow(/NUMBER OF QUEUES\.nsqr=0/);
    expect(() => encodeFeature(NumberOfQueues, { nsqr: 65537 })).toThrow(RangeError);
  });

  it('Keep Alive Timer is milliseconds in the whole dword', () => {
    expect(encodeFeature(KeepAliveTimer, { kato: 120000 })).toBe(120000);
    expect(decodeFeature(KeepAliveTimer, 0xffff_ffff)).toEqual({ kato: 0xffff_ffff });
  });

  it('Async Event Configuration bits', () => {
    const all = { shcw: 0xff, nan: true, fan: true, tln: true, anacn: true, plealcn: true, lsin: true, egealcn: true, nnsssn: true, zdcn: true, dlpcn: true };
    expect(encodeFeature(AsyncEventConfiguration, all)).toBe(0x8800_ffff);
    expect(encodeFeature(AsyncEventConfiguration, { tln: true })).toBe(1 << 10);
    expect(encodeFeature(AsyncEventConfiguration, { anacn: true })).toBe(1 << 11);
  });

  it('Volatile Write Cache, Arbitration and Power Management', () => {
    expect(encodeFeature(VolatileWriteCache, { wce: true })).toBe(1);
    expect(decodeFeature(VolatileWriteCache, 0)).toEqual({ wce: false });
    expect(encodeFeature(Arbitration, { ab: 7, lpw: 1, mpw: 2, hpw: 3 })).toBe(0x0302_0107);
    expect(decodeFeature(Arbitration, 0x0302_0107)).toEqual({ ab: 7, lpw: 1, mpw: 2, hpw: 3 });
    expect(encodeFeature(PowerManagement, { ps: 31, wh: 7 })).toBe(0xff);
    expect(decodeFeature(PowerManagement, 0x43)).toEqual({ ps: 3, wh: 2 });
  });

  it('supported capabilities (SEL 3)', () => {
    expect(decodeBits(FeatureCapabilities, 0b101)).toEqual({ saveable: true, namespaceSpecific: false, changeable: true });
  });
});
