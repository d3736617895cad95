import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DiscAdrFam, DiscSubType, DiscTrType, parseDiscoveryLog, type DiscoveryLogEntry } from '../../../src/spec/discovery-log.js';
import { ControllerType } from '../../../src/spec/identify-controller.js';
import { LogPageId } from '../../../src/spec/log-pages.js';
import { AdminOpcode } from '../../../src/spec/opcodes.js';
import { decodeCommand, GetLogPage } from '../../../src/spec/commands.js';
import { registerTransport } from '../../../src/transport/transport.js';
import { connectAll, discover, readDiscoveryLog } from '../../../src/nvme-driver/discovery.js';
import { connect, type Controller } from '../../../src/nvme-driver/controller.js';
import { DISCOVERY_NQN } from '../../../src/nvme-driver/transport-id.js';
import { FakeController, FakeTransport } from './fake-controller.js';

const DISCOVERY_TRID = 'trtype:RDMA adrfam:IPv4 traddr:127.0.0.1 trsvcid:4420';

function entry(subnqn: string, traddr: string, trsvcid: string, subtype: number = DiscSubType.NVME): DiscoveryLogEntry {
  return {
    trtype: DiscTrType.RDMA,
    adrfam: DiscAdrFam.IPV4,
    subtype,
    treq: 0,
    portid: 1,
    cntlid: 0xffff,
    asqsz: 32,
    eflags: 0,
    trsvcid,
    subnqn,
    traddr,
    tsas: { rdma_qptype: 1, rdma_prtype: 1, rdma_cms: 1, rdma_pkey: 0 },
  };
}

let fake: FakeController;
const open: Controller[] = [];

beforeEach(() => {
  fake = new FakeController();
  fake.identify.cntrltype = ControllerType.DISCOVERY;
  fake.identify.oaes = 2 ** 31;
  fake.addNamespace(1, 64);
  fake.discoveryEntries = [
    entry(DISCOVERY_NQN, '127.0.0.1', '4420', DiscSubType.CURRENT_DISCOVERY),
    entry('nqn.2024-01.io.nvmekit:a', '127.0.0.1', '4420'),
    entry('nqn.2024-01.io.nvmekit:b', '0.0.0.0', '4421'),
    entry('nqn.2024-01.io.nvmekit:a', '127.0.0.1', '4420'),
  ];
  registerTransport(new FakeTransport(fake));
});

afterEach(async () => {
  await Promise.all(open.splice(0).map((c) => c.detach()));
  expect(fake.faults).toEqual([]);
});

describe('discover', () => {
  it('connects to the discovery NQN without keep-alive, skips the I/O states, reads the log and detaches', async () => {
    const lines: string[] = [];
    const entries = await discover(DISCOVERY_TRID, { trace: (l) => lines.push(l) });
    expect(entries.map((e) => [e.subtype, e.subnqn, e.traddr, e.trsvcid])).toEqual([
      [DiscSubType.CURRENT_DISCOVERY, DISCOVERY_NQN, '127.0.0.1', '4420'],
      [DiscSubType.NVME, 'nqn.2024-01.io.nvmekit:a', '127.0.0.1', '4420'],
      [DiscSubType.NVME, 'nqn.2024-01.io.nvmekit:b', '0.0.0.0', '4421'],
      [DiscSubType.NVME, 'nqn.2024-01.io.nvmekit:a', '127.0.0.1', '4420'],
    ]);
    expect(fake.connects[0]).toMatchObject({ qid: 0, kato: 0, data: { subnqn: DISCOVERY_NQN } });
    const states = lines.flatMap((l) => /setting state to (\w+)/.exec(l)?.[1] ?? []);
    expect(states.slice(-3)).toEqual(['CONFIGURE_AER', 'SET_KEEP_ALIVE_TIMEOUT', 'READY']);
    expect(fake.aec).toBe(2 ** 31);
    expect(fake.qpairs.every((q) => q.closed)).toBe(true);
  });

  it('reads the log again while its generation counter moves', async () => {
    fake.genctrBumps = 2;
    const entries = await discover(DISCOVERY_TRID);
    expect(entries).toHaveLength(4);
    const reads = fake.commands(AdminOpcode.GET_LOG_PAGE).map((r) => decodeCommand(GetLogPage, r.sqe));
    expect(reads.every((r) => r.lid === LogPageId.DISCOVERY)).toBe(true);
    // header, page (a 4 KiB chunk and 1 KiB), header; the counter moved between the two
    // headers of the first round, so a second round reads everything again.
    const round = [[0, 1024], [0, 4096], [4096, 1024], [0, 1024]];
    expect(reads.map((r) => [r.offset, r.numd * 4])).toEqual([...round, ...round]);
  });

  it('readDiscoveryLog returns the parsed log, GENCTR of the read that held still, and the page it parsed', async () => {
    const c = await connect(DISCOVERY_TRID);
    open.push(c);
    fake.genctrBumps = 2;
    const pages: Buffer[] = [];
    const log = await readDiscoveryLog(c, { onPage: (page) => pages.push(page) });
    expect([log.genctr, log.numrec, log.recfmt, log.entries.length]).toEqual([fake.genctr, 4, 0, 4]);
    expect(pages).toHaveLength(1);
    expect(parseDiscoveryLog(pages[0]!)).toEqual(log);
  });

  it('is a discovery controller when connect() gets the discovery NQN', async () => {
    const c = await connect(DISCOVERY_TRID);
    open.push(c);
    expect(c.isDiscovery).toBe(true);
    expect(c.namespaces).toEqual([]);
    await expect(c.allocIoQpair()).rejects.toThrow(/is a discovery controller/);
  });
});

describe('connectAll', () => {
  it('connects each NVM subsystem in the log once; a wildcard address means the discovery address', async () => {
    const controllers = await connectAll(DISCOVERY_TRID);
    open.push(...controllers);
    expect(controllers.map((c) => [c.trid.subnqn, c.trid.traddr, c.trid.trsvcid])).toEqual([
      ['nqn.2024-01.io.nvmekit:a', '127.0.0.1', '4420'],
      ['nqn.2024-01.io.nvmekit:b', '127.0.0.1', '4421'],
    ]);
    expect(fake.connects.filter((c) => c.qid === 0).map((c) => c.data.subnqn)).toEqual([
      DISCOVERY_NQN,
      'nqn.2024-01.io.nvmekit:a',
      'nqn.2024-01.io.nvmekit:b',
    ]);
  });

  it('connects directly when the transport ID names a subsystem', async () => {
    const controllers = await connectAll(`${DISCOVERY_TRID} subnqn:nqn.2024-01.io.nvmekit:a`);
    open.push(...controllers);
    expect(controllers).toHaveLength(1);
    expect(fake.connects.map((c) => c.data.subnqn)).toEqual(['nqn.2024-01.io.nvmekit:a']);
  });
});
