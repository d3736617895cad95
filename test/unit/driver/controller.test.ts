import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { decodeCommand, Identify } from '../../../src/spec/commands.js';
import { ConfigError, TransportError } from '../../../src/spec/errors.js';
import { ConnectRejectedError } from '../../../src/nvme-driver/fabrics.js';
import { CNTLID_DYNAMIC, connectInvalidParameterCdw0, FabricsCommandStatus, FabricsCommandType } from '../../../src/spec/fabrics.js';
import { Cns } from '../../../src/spec/identify.js';
import { AdminOpcode, IoOpcode } from '../../../src/spec/opcodes.js';
import { decodeCap, decodeCc, decodeCsts, encodeCc, encodeCsts, Register, ShutdownNotification } from '../../../src/spec/registers.js';
import { NvmeStatusError, StatusCodeType } from '../../../src/spec/status.js';
import { registerTransport } from '../../../src/transport/transport.js';
import { connect, type Controller } from '../../../src/nvme-driver/controller.js';
import { attachQpair } from '../../../src/nvme-driver/descriptor.js';
import { FakeController, FakeTransport } from './fake-controller.js';

const TRID = 'trtype:RDMA adrfam:IPv4 traddr:127.0.0.1 trsvcid:4420 subnqn:nqn.2024-01.io.nvmekit:fake';
const HOSTNQN = 'nqn.2014-08.org.nvmexpress:uuid:6b1f5a3e-2f0e-4a63-9d8e-0c4c2c1b7d10';
const HOSTID = '6b1f5a3e-2f0e-4a63-9d8e-0c4c2c1b7d10';

let fake: FakeController;
let transport: FakeTransport;
const open: Controller[] = [];

beforeEach(() => {
  fake = new FakeController();
  fake.addNamespace(1, 2048, 9, { nguid: '0123456789abcdef0123456789abcdef' });
  fake.addNamespace(3, 1024, 12);
  transport = new FakeTransport(fake);
  registerTransport(transport);
});

afterEach(async () => {
  vi.useRealTimers();
  await Promise.all(open.splice(0).map((c) => c.detach()));
  expect(fake.faults).toEqual([]);
});

async function attach(opts: Parameters<typeof connect>[1] = {}): Promise<Controller> {
  const c = await connect(TRID, { hostnqn: HOSTNQN, ...opts });
  open.push(c);
  return c;
}

const states = (lines: string[]) => lines.flatMap((l) => /setting state to (\w+)/.exec(l)?.[1] ?? []);

describe('connect', () => {
  it('runs the initialization states in order and reports what it learnt', async () => {
    const lines: string[] = [];
    const c = await attach({ trace: (l) => lines.push(l) });
    expect(states(lines)).toEqual([
      'CONNECT_ADMINQ',
      'READ_VS',
      'READ_CAP',
      'CHECK_EN',
      'ENABLE',
      'ENABLE_WAIT_FOR_READY_1',
      'IDENTIFY',
      'CONFIGURE_AER',
      'SET_KEEP_ALIVE_TIMEOUT',
      'SET_NUM_QUEUES',
      'IDENTIFY_ACTIVE_NS',
      'IDENTIFY_NS',
      'IDENTIFY_ID_DESCS',
      'READY',
    ]);
    expect(lines).toContain('[nqn.2024-01.io.nvmekit:fake, 0] setting state to CONNECT_ADMINQ (timeout 10000 ms)');
    expect(lines).toContain('[nqn.2024-01.io.nvmekit:fake, 33] setting state to ENABLE_WAIT_FOR_READY_1 (timeout 1000 ms)');
    expect(c.cntlid).toBe(0x21);
    expect(c.vs).toEqual({ mjr: 1, mnr: 4, ter: 0 });
    expect(c.cap.mqes).toBe(127);
    expect(c.ioQueueSize).toBe(128);
    expect(c.maxIoQueues).toBe(8);
    expect(c.maxTransferSize).toBe(32 * 4096);
    expect(c.keepAliveTimeoutMs).toBe(10000);
    expect(c.isDiscovery).toBe(false);
    expect(c.data.subnqn).toBe('nqn.2024-01.io.nvmekit:fake');
    expect(c.namespaces.map((ns) => [ns.nsid, ns.numLbas, ns.lbaSize, ns.sizeBytes])).toEqual([
      [1, 2048, 512, 1 << 20],
      [3, 1024, 4096, 4 << 20],
    ]);
    expect(c.getNamespace(1)!.ids).toEqual({ nguid: '0123456789abcdef0123456789abcdef' });
    expect(c.getNamespace(1)!.supportsWriteZeroes).toBe(true);
    expect(c.getNamespace(1)!.supportsDsm).toBe(true);
    expect(c.getNamespace(2)).toBeUndefined();
    // CC as SPDK writes it: enabled, NVM command set, 4 KiB pages, 64/16-byte entries.
    expect(decodeCc(fake.cc)).toMatchObject({ en: true, css: 0, mps: 0, shn: 0, iosqes: 6, iocqes: 4 });
    // AERL + 1 AERs outstanding; SMART critical warnings and the notices OAES offers enabled.
    expect(fake.aers).toHaveLength(4);
    expect(fake.aec).toBe(0x1f | (1 << 8));
  });

  it('sends Connect on the admin queue with the dynamic CNTLID, KATO and the host identity', async () => {
    await attach();
    expect(fake.connects).toEqual([
      {
        qid: 0,
        sqsize: 31,
        kato: 10000,
        data: { hostid: HOSTID, cntlid: CNTLID_DYNAMIC, subnqn: 'nqn.2024-01.io.nvmekit:fake', hostnqn: HOSTNQN },
      },
    ]);
  });

  it('prints admin commands and completions in SPDK trace format', async () => {
    const lines: string[] = [];
    await attach({ trace: (l) => lines.push(l) });
    expect(lines).toContain('FABRIC CONNECT qid:0 cid:0');
    expect(lines).toContain('SUCCESS (00/00) qid:0 cid:0 cdw0:21 sqhd:0001 p:0 m:0 dnr:0');
    expect(lines).toContain('FABRIC PROPERTY GET qid:0 cid:0');
    expect(lines).toContain('IDENTIFY (06) qid:0 cid:0 nsid:0 cdw10:00000001 cdw11:00000000');
    expect(lines).toContain('IDENTIFY (06) qid:0 cid:4 nsid:3 cdw10:00000000 cdw11:00000000');
    expect(lines).toContain('SET FEATURES NUMBER OF QUEUES cid:4 cdw10:00000007');
    expect(lines).toContain('ASYNC EVENT REQUEST (0c) qid:0 cid:3 nsid:0 cdw10:00000000 cdw11:00000000');
  });

  it('disables a controller that is already enabled before enabling it', async () => {
    fake.cc = encodeCc({ en: true });
    fake.csts = encodeCsts({ rdy: true });
    const lines: string[] = [];
    await attach({ trace: (l) => lines.push(l) });
    expect(states(lines).slice(3, 8)).toEqual(['CHECK_EN', 'SET_EN_0', 'DISABLE_WAIT_FOR_READY_0', 'ENABLE', 'ENABLE_WAIT_FOR_READY_1']);
  });

  it('turns keep-alive off when the controller reports KAS 0', async () => {
    fake.identify.kas = 0;
    const c = await attach();
    expect(c.keepAliveTimeoutMs).toBe(0);
  });

  it('fails a ready wait that overruns CAP.TO, naming the state, and closes what it opened', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval'] });
    fake.cap.to = 2;
    const origin = fake.execute.bind(fake);
    fake.execute = (qid, sqe, data) => {
      const answer = origin(qid, sqe, data);
      fake.csts = 0;
      return answer;
    };
    const p = connect(TRID).catch((e: unknown) => e);
    await vi.advanceTimersByTimeAsync(1100);
    const err = await p;
    expect(err).toBeInstanceOf(TransportError);
    expect((err as TransportError).message).toBe('controller initialization: state ENABLE_WAIT_FOR_READY_1 did not finish within 1000 ms');
    expect(fake.qpairs[0]!.closed).toBe(true);
    expect(fake.closedControllers).toBe(1);
  });

  it('maps a Connect rejection to NvmeStatusError with the host NQN, and tears down', async () => {
    fake.connectAnswer = { status: { sct: StatusCodeType.COMMAND_SPECIFIC, sc: FabricsCommandStatus.CONNECT_INVALID_HOST, dnr: true } };
    const err = (await connect(TRID, { hostnqn: HOSTNQN }).catch((e: unknown) => e)) as ConnectRejectedError;
    expect(err).toBeInstanceOf(ConnectRejectedError);
    expect(err).toBeInstanceOf(NvmeStatusError);
    expect(err.statusName).toBe('CONNECT INVALID HOST');
    expect(err.message).toContain(`hostnqn:${HOSTNQN}`);
    expect([err.qid, err.hostnqn, err.invalidParameter]).toEqual([0, HOSTNQN, undefined]);
    expect(fake.qpairs[0]!.closed).toBe(true);
  });

  it('names the invalid Connect parameter from IATTR/IPO, typed and in the message', async () => {
    const cdw0 = connectInvalidParameterCdw0(true, 256);
    fake.connectAnswer = {
      cdw0,
      status: { sct: StatusCodeType.COMMAND_SPECIFIC, sc: FabricsCommandStatus.CONNECT_INVALID_PARAMETERS, dnr: true },
    };
    const err = (await connect(TRID).catch((e: unknown) => e)) as ConnectRejectedError;
    expect(err.invalidParameter).toBe('subnqn');
    expect(err.cdw0).toBe(cdw0);
    expect(err.message).toMatch(/\(invalid parameter: SUBNQN in the connect data\): CONNECT INVALID PARAMETERS \(01\/82\)/);
  });

  it('names the registered transports when the trtype has none', async () => {
    const err = (await connect('trtype:PCIe traddr:0000:04:00.0').catch((e: unknown) => e)) as ConfigError;
    expect(err).toBeInstanceOf(ConfigError);
    expect(err.key).toBe('trtype');
    expect(err.message).toMatch(/no PCIe transport is registered \(registered: RDMA/);
  });

  it('rejects a bad option before connecting', async () => {
    const err = (await connect(TRID, { adminQueueSize: 1 }).catch((e: unknown) => e)) as ConfigError;
    expect(err.key).toBe('adminQueueSize');
    expect(fake.qpairs).toHaveLength(0);
  });
});

describe('I/O queue pairs', () => {
  it('connects an I/O queue with the CNTLID and gives its QID back on free', async () => {
    const c = await attach();
    const qp = await c.allocIoQpair({ qsize: 64 });
    expect(qp.qid).toBe(1);
    expect(qp.maxTransferSize).toBe(32 * 4096);
    expect(fake.connects[1]).toMatchObject({ qid: 1, sqsize: 63, kato: 0, data: { cntlid: 0x21 } });
    // IOCCSZ 260 sixteen-byte units: a 64-byte SQE and 4 KiB of in-capsule data.
    expect(fake.connectOptions[1]).toMatchObject({ qid: 1, qsize: 64, inCapsuleDataSize: 4096, headerDigest: false });
    const data = Buffer.alloc(4096, 0xab);
    await qp.writeAsync(1, 8, 8, data);
    const back = Buffer.alloc(4096);
    await qp.readAsync(1, 8, 8, back);
    expect(back.equals(data)).toBe(true);
    const qp2 = await c.allocIoQpair();
    expect(qp2.qid).toBe(2);
    expect(qp2.qsize).toBe(128);
    await qp.free();
    expect((await c.allocIoQpair()).qid).toBe(1);
    expect(c.ioQueuePairs).toHaveLength(2);
  });

  it('closes the queue and gives the QID back when the I/O Connect is refused', async () => {
    const c = await attach();
    fake.connectAnswer = { status: { sct: StatusCodeType.COMMAND_SPECIFIC, sc: FabricsCommandStatus.CONNECT_CONTROLLER_BUSY, dnr: false } };
    const err = (await c.allocIoQpair().catch((e: unknown) => e)) as NvmeStatusError;
    expect(err.statusName).toBe('CONNECT CONTROLLER BUSY');
    expect(err.message).toMatch(/^FABRIC CONNECT qid:1 cntlid:0x21 /);
    expect(fake.qpairs[1]!.closed).toBe(true);
    fake.connectAnswer = null;
    expect((await c.allocIoQpair()).qid).toBe(1);
    expect(c.ioQueuePairs).toHaveLength(1);
  });

  it('refuses more queues than granted and queue sizes beyond CAP.MQES', async () => {
    fake.ioQueuesGranted = 2;
    const c = await attach();
    await expect(c.allocIoQpair({ qsize: 129 })).rejects.toThrow(/qsize: expected an integer from 2 to 128/);
    await c.allocIoQpair();
    await c.allocIoQpair();
    await expect(c.allocIoQpair()).rejects.toThrow(/all 2 I\/O queues the controller granted are in use/);
  });

  it('aborts a timed-out I/O command on the admin queue', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval'] });
    const c = await attach({ commandTimeoutMs: 2000, keepAliveTimeoutMs: 0 });
    const qp = await c.allocIoQpair();
    fake.hold.add(IoOpcode.READ);
    const p = qp.readAsync(1, 0, 1, Buffer.alloc(512)).catch((e: unknown) => e);
    await vi.advanceTimersByTimeAsync(2600);
    expect((await p as Error).name).toBe('CommandTimeoutError');
    expect(fake.aborts).toEqual([{ sqid: 1, cid: 0 }]);
  });
});

describe('queue pair descriptors', () => {
  it('reserves a QID that a worker attaches to with Connect and the CNTLID', async () => {
    const c = await attach({ hostnqn: HOSTNQN });
    const desc = c.allocQpairDescriptor({ qsize: 32 });
    expect(structuredClone(desc)).toEqual(desc);
    expect(desc).toMatchObject({ qid: 1, qsize: 32, cntlid: 0x21, trtype: 'RDMA', hostnqn: HOSTNQN, hostid: HOSTID, maxTransferSize: 131072, inCapsuleDataSize: 4096 });
    expect((await c.allocIoQpair()).qid).toBe(2);
    const qp = await attachQpair(structuredClone(desc));
    expect(fake.connects.at(-1)).toMatchObject({ qid: 1, sqsize: 31, data: { cntlid: 0x21, hostnqn: HOSTNQN } });
    await qp.writeAsync(1, 0, 1, Buffer.alloc(512, 7));
    const closedBefore = fake.closedControllers;
    await qp.free();
    expect(fake.closedControllers).toBe(closedBefore + 1);
    c.releaseQpairDescriptor(desc);
    expect((await c.allocIoQpair()).qid).toBe(1);
  });
});

describe('keep-alive', () => {
  it('sends Keep Alive every KATO/2', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval'] });
    await attach({ keepAliveTimeoutMs: 10000 });
    expect(fake.keepAlives).toBe(0);
    await vi.advanceTimersByTimeAsync(4999);
    expect(fake.keepAlives).toBe(0);
    await vi.advanceTimersByTimeAsync(1);
    expect(fake.keepAlives).toBe(1);
    await vi.advanceTimersByTimeAsync(10000);
    expect(fake.keepAlives).toBe(3);
  });

  it('follows a KATO the controller adjusted', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval'] });
    const origin = fake.execute.bind(fake);
    fake.execute = (qid, sqe, data) => {
      const answer = origin(qid, sqe, data);
      fake.kato = 4000;
      return answer;
    };
    const c = await attach({ keepAliveTimeoutMs: 10000 });
    expect(c.keepAliveTimeoutMs).toBe(4000);
    await vi.advanceTimersByTimeAsync(6000);
    expect(fake.keepAlives).toBe(3);
  });

  it('fails the controller when a Keep Alive fails, and emits error', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval'] });
    fake.failKeepAliveAt = 2;
    const c = await attach({ keepAliveTimeoutMs: 2000 });
    const onError = vi.fn();
    c.on('error', onError);
    await vi.advanceTimersByTimeAsync(2000);
    expect(onError).toHaveBeenCalledTimes(1);
    expect((onError.mock.calls[0]![0] as NvmeStatusError).statusName).toBe('KEEP ALIVE EXPIRED');
    expect(c.failedReason).toBe(onError.mock.calls[0]![0]);
    await vi.advanceTimersByTimeAsync(5000);
    expect(fake.keepAlives).toBe(2);
    await expect(c.allocIoQpair()).rejects.toThrow(/is failed/);
  });
});

describe('detach', () => {
  it('frees I/O queues, shuts down with CC.SHN and waits for CSTS.SHST, then closes', async () => {
    fake.shutdownAfterReads = 2;
    const c = await connect(TRID);
    const qp = await c.allocIoQpair();
    fake.hold.add(IoOpcode.READ);
    const pending = qp.readAsync(1, 0, 1, Buffer.alloc(512)).catch((e: unknown) => e);
    const report = await c.detach();
    expect(report).toEqual({ shutdown: 'complete', errors: [] });
    expect(((await pending) as NvmeStatusError).statusName).toBe('ABORTED - SQ DELETION');
    expect(decodeCc(fake.cc).shn).toBe(ShutdownNotification.NORMAL);
    const propertyOps = fake.fabrics(FabricsCommandType.PROPERTY_GET).length;
    expect(propertyOps).toBeGreaterThan(4);
    expect(fake.qpairs.every((q) => q.closed)).toBe(true);
    expect(fake.closedControllers).toBe(1);
    expect(await c.detach()).toBe(report);
  });

  it('does not throw on a dead admin connection, and says what happened', async () => {
    const c = await connect(TRID);
    fake.qpairs[0]!.die(new TransportError('connection reset', 'ECONNRESET'));
    expect(c.failedReason?.message).toBe('connection reset');
    const report = await c.detach();
    expect(report.shutdown).toBe('skipped');
    expect(fake.closedControllers).toBe(1);
  });

  it('reports a shutdown that never completes as a timeout', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval'] });
    fake.shutdownAfterReads = -1;
    const c = await connect(TRID, { keepAliveTimeoutMs: 0 });
    const p = c.detach();
    await vi.advanceTimersByTimeAsync(10_500);
    expect((await p).shutdown).toBe('timeout');
  });
});

describe('asynchronous events', () => {
  it('rescans namespaces on Namespace Attribute Changed and resubmits the AER', async () => {
    const c = await attach();
    fake.addNamespace(2, 512);
    fake.changedNsids = [2];
    const event = new Promise((resolve) => c.once('asyncEvent', resolve));
    fake.fireAsyncEvent(0x2 | (0x00 << 8) | (0x04 << 16));
    expect(await event).toEqual({ type: 2, info: 0, logPageId: 4, name: 'NOTICE: NS ATTRIBUTE CHANGED', cdw0: 0x040002 });
    expect(c.namespaces.map((ns) => ns.nsid)).toEqual([1, 2, 3]);
    expect(fake.aers).toHaveLength(4);
    expect(fake.commands(AdminOpcode.GET_LOG_PAGE, 0)).toHaveLength(1);
    const identifies = fake.commands(AdminOpcode.IDENTIFY, 0).map((r) => decodeCommand(Identify, r.sqe));
    expect(identifies.filter((i) => i.cns === Cns.ACTIVE_NAMESPACE_LIST)).toHaveLength(2);
  });
});

describe('admin helpers', () => {
  it('reads registers, features and identify data', async () => {
    const c = await attach();
    expect(decodeCap(await c.readRegister64(Register.CAP)).mqes).toBe(127);
    expect(decodeCsts(await c.readRegister32(Register.CSTS)).rdy).toBe(true);
    expect((await c.identifyController()).cntlid).toBe(0x21);
    expect((await c.identifyNamespace(3)).nsze).toBe(1024n);
    expect(await c.getFeatures(0x0f)).toBe(10000);
    await expect(c.getFeatures(0x02)).rejects.toThrow(/GET FEATURES POWER MANAGEMENT cid:\d+ cdw10:00000002: INVALID FIELD \(00\/02\)/);
  });
});
