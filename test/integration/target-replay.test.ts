/**
 * Replays what two independent hosts sent in the captured sessions into our
 * target, configured as the capture's target was, over real loopback
 * connections: the Linux host (nvme-cli 2.3, kernel 6.1) talking to Linux
 * nvmet, and SPDK's spdk_nvme_perf talking to SPDK's nvmf_tgt (digests on,
 * queue depth 4, in-capsule and R2T writes). Every command must succeed, and
 * every read must return what the captured target returned.
 *
 * Each association is replayed as in the capture: the admin connection up to
 * its shutdown (CC.SHN), then its I/O connection, then the rest of the admin
 * connection.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { loadCapturedCommands, readVector } from '../helpers/nvme-tcp-capture.js';
import { parseDiscoveryLog } from '../../src/spec/discovery-log.js';
import { IoOpcode } from '../../src/spec/opcodes.js';
import { SqeOffset } from '../../src/spec/sqe.js';
import type { BlockDevice } from '../../src/target/bdev/block-device.js';
import { MallocBlockDevice } from '../../src/target/bdev/malloc.js';
import { NullBlockDevice } from '../../src/target/bdev/null.js';
import { NvmfTarget } from '../../src/target/target.js';
import { TcpListener } from '../../src/target/transport/tcp/index.js';
import { Replay, failures, isShutdown, type Outcome } from '../unit/target-tcp/capture-replay.js';

const PATTERN = Buffer.from('nvmekit-vector-4k-pattern-block!');
/** The 4 KiB block the Linux sessions write at LBA 0 of ns2 (and 32 times from LBA 32). */
const BLOCK = Buffer.concat(new Array<Buffer>(4096 / PATTERN.length).fill(PATTERN));

const cdw10 = (o: Outcome): number => o.sqe.readUInt32LE(SqeOffset.CDW10);
const nsidOf = (o: Outcome): number => o.sqe.readUInt32LE(SqeOffset.NSID);

interface Scenario {
  capture: string;
  subnqn: string;
  namespaces(): BlockDevice[];
  /** Connection number of a discovery session, if the capture has one. */
  discovery?: number;
  /** Admin connection and its I/O connection, per association, in capture order. */
  associations: [admin: number, io: number][];
  /** Commands that rightly fail on our target, and why. */
  expectedFailure?: (o: Outcome) => boolean;
}

const LINUX_NAMESPACES = (): BlockDevice[] => [
  new NullBlockDevice({ name: 'Null0', numBlocks: (1 << 30) / 512, blockSize: 512 }),
  // ns 2 is a 64 MiB file with 4 KiB blocks (id-ns-plain.json: nsze 16384, LBA format ds 12);
  // the vectors README's "512-byte LBAs" does not match the capture.
  new MallocBlockDevice({ name: 'Malloc0', numBlocks: 16384, blockSize: 4096 }),
];

// Linux nvmet announced ANA reporting (CMIC bit 3), so the host read the ANA log page (LID 0Ch);
// our controller does not announce it (checked below) and rightly answers INVALID LOG PAGE.
const isAnaLogPage = (o: Outcome): boolean => o.opc === 0x02 && (cdw10(o) & 0xff) === 0x0c;

const SCENARIOS: Record<string, Scenario> = {
  'Linux host, Linux nvmet, no digests': {
    capture: 'linux-host-to-linux-nvmet-tcp-plain',
    subnqn: 'nqn.2024-01.io.lab:sub1',
    namespaces: () => {
      const [ns1, ns2] = LINUX_NAMESPACES();
      // This session ran after the digests session on the same file: its first read of LBA 0
      // already returns the block the digests session wrote. Start from that state.
      ns2!.write(0, BLOCK, () => {});
      ns2!.write(32, Buffer.concat(new Array<Buffer>(32).fill(BLOCK)), () => {});
      return [ns1!, ns2!];
    },
    discovery: 0,
    associations: [[1, 2]],
    expectedFailure: isAnaLogPage,
  },
  'Linux host, Linux nvmet, header and data digests': {
    capture: 'linux-host-to-linux-nvmet-tcp-digests',
    subnqn: 'nqn.2024-01.io.lab:sub1',
    namespaces: LINUX_NAMESPACES,
    discovery: 0,
    associations: [[1, 2]],
    expectedFailure: isAnaLogPage,
  },
  'spdk_nvme_perf, nvmf_tgt, header and data digests': {
    capture: 'spdk-perf-to-spdk-nvmf-tgt-tcp-digests',
    subnqn: 'nqn.2016-06.io.spdk:cnode1',
    namespaces: () => [new MallocBlockDevice({ name: 'Malloc0', numBlocks: (256 << 20) / 512, blockSize: 512 })],
    associations: [
      [0, 1],
      [2, 3],
      [4, 5],
    ],
  },
};

describe.each(Object.entries(SCENARIOS))('replay: %s', (_name, scenario) => {
  const stream = (conn: number): Buffer => readVector(`nvme-tcp/${scenario.capture}.conn${conn}.host-to-ctrl.bin`);
  let listener: TcpListener;
  let target: NvmfTarget;
  afterEach(async () => {
    await listener.close();
    target.close();
  });

  it('every command succeeds and every read returns what the captured target returned', async () => {
    target = new NvmfTarget();
    const sub = target.createSubsystem({ nqn: scenario.subnqn, allowAnyHost: true });
    for (const bdev of scenario.namespaces()) sub.addNamespace(bdev);
    listener = new TcpListener(target);
    const port = Number((await listener.listen('tcp://127.0.0.1:0')).trsvcid);
    const replays: Replay[] = [];
    const ioReplays = new Map<number, Replay>();

    if (scenario.discovery !== undefined) {
      const discovery = await Replay.open(port, stream(scenario.discovery));
      replays.push(discovery);
      await discovery.run();
      await discovery.drain();
      const log = parseDiscoveryLog(discovery.outcomes.filter((o) => o.opc === 0x02).at(-1)!.data);
      expect(log.entries.map((e) => [e.subnqn, e.traddr, e.trsvcid])).toContainEqual([scenario.subnqn, '127.0.0.1', String(port)]);
    }
    for (const [adminConn, ioConn] of scenario.associations) {
      const admin = await Replay.open(port, stream(adminConn));
      const shutdownAt = admin.indexOf(isShutdown);
      await admin.run(0, shutdownAt);
      const cntlid = admin.outcomes[0]!.cdw0 & 0xffff;
      const io = await Replay.open(port, stream(ioConn), cntlid);
      await io.run();
      await io.drain();
      await admin.run(shutdownAt);
      await admin.drain();
      admin.host.close();
      io.host.close();
      replays.push(admin, io);
      ioReplays.set(ioConn, io);
    }

    const outcomes = replays.flatMap((r) => r.outcomes);
    expect(failures(outcomes, scenario.expectedFailure)).toEqual([]);
    for (const o of outcomes.filter((x) => scenario.expectedFailure?.(x))) expect(o.status).toBe('1/0x09');
    const identifyCtrl = outcomes.find((o) => o.opc === 0x06 && (cdw10(o) & 0xff) === 1)!;
    expect(identifyCtrl.data[76]! & 0x08).toBe(0);

    let reads = 0;
    for (const [ioConn, io] of ioReplays) {
      const theirs = loadCapturedCommands(scenario.capture, ioConn).filter((c) => c.sqe.opc === IoOpcode.READ);
      const ours = io.outcomes.filter((o) => o.opc === IoOpcode.READ);
      expect(ours.map((o) => o.cid)).toEqual(theirs.map((c) => c.sqe.cid));
      const differing = ours.filter((o, i) => !o.data.equals(theirs[i]!.data)).map((o) => `cid ${o.cid} lba ${cdw10(o)}`);
      expect(differing).toEqual([]);
      reads += ours.length;
    }
    expect(reads).toBeGreaterThan(0);
  });
});

describe('replay: the Linux writes read back as the vectors README describes them', () => {
  it('4 KiB at LBA 0 of ns 2 in-capsule, 128 KiB from LBA 32 through R2T', async () => {
    const target = new NvmfTarget();
    const sub = target.createSubsystem({ nqn: 'nqn.2024-01.io.lab:sub1', allowAnyHost: true });
    for (const bdev of LINUX_NAMESPACES()) sub.addNamespace(bdev);
    const listener = new TcpListener(target);
    const port = Number((await listener.listen('tcp://127.0.0.1:0')).trsvcid);
    const capture = 'linux-host-to-linux-nvmet-tcp-digests';
    const admin = await Replay.open(port, readVector(`nvme-tcp/${capture}.conn1.host-to-ctrl.bin`));
    await admin.run(0, admin.indexOf(isShutdown));
    const io = await Replay.open(port, readVector(`nvme-tcp/${capture}.conn2.host-to-ctrl.bin`), admin.outcomes[0]!.cdw0 & 0xffff);
    await io.run();
    const reads = io.outcomes.filter((o) => o.opc === IoOpcode.READ && nsidOf(o) === 2);
    const lastRead = (slba: number): Buffer => reads.filter((o) => cdw10(o) === slba).at(-1)!.data;
    expect(reads.filter((o) => cdw10(o) === 0)[0]!.data.equals(Buffer.alloc(4096))).toBe(true);
    expect(lastRead(0).equals(BLOCK)).toBe(true);
    expect(lastRead(32).equals(Buffer.concat(new Array<Buffer>(32).fill(BLOCK)))).toBe(true);
    admin.host.close();
    io.host.close();
    await listener.close();
    target.close();
  });
});
