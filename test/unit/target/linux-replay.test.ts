/**
 * Replays what a Linux host (nvme-cli 2.3, kernel 6.1) sent to a Linux nvmet
 * target — discovery, then an admin queue and an I/O queue — through our
 * target core, and holds our answers against the Linux target's: same status
 * for every command (bar the differences named below), same SQHD on the admin
 * queues, and the data written in the capture reads back as the capture says.
 */
import { describe, expect, it } from 'vitest';
import { decodeSqe } from '../../../src/spec/sqe.js';
import { parseIdentifyNamespace } from '../../../src/spec/identify-namespace.js';
import { FABRICS_OPCODE, AdminOpcode, IoOpcode } from '../../../src/spec/opcodes.js';
import { LogPageId } from '../../../src/spec/log-pages.js';
import { AdminCommandStatus } from '../../../src/spec/status.js';
import { NullBlockDevice } from '../../../src/target/bdev/null.js';
import { MallocBlockDevice } from '../../../src/target/bdev/malloc.js';
import { NvmfTarget } from '../../../src/target/target.js';
import { identifyPayloads, loadCapturedCommands, readVector, type CapturedCommand } from '../../helpers/nvme-tcp-capture.js';
import { connectionInfo, HostQueue, type Completion } from './harness.js';

const LAB_SUBNQN = 'nqn.2024-01.io.lab:sub1';
const PATTERN = 'nvmekit-vector-4k-pattern-block!';
const PDU_CAPSULE_CMD = 0x04;
const PDU_H2C_DATA = 0x06;
const FCTYPE_PROPERTY_GET = 0x04;

/** One command as the host issued it, with all its host-to-controller data. */
interface Step {
  sqe: Buffer;
  data: Buffer | null;
}

/**
 * The commands of a captured host-to-controller stream in issue order, each
 * with its data: in-capsule, or gathered from the H2CData PDUs that answered R2Ts.
 */
function stepsOf(stream: Buffer): Step[] {
  const steps: Step[] = [];
  const awaiting = new Map<number, Step>();
  for (let at = 0; at + 8 <= stream.length; at += stream.readUInt32LE(at + 4)) {
    const type = stream[at]!;
    const pdo = stream[at + 3]!;
    const plen = stream.readUInt32LE(at + 4);
    if (type === PDU_CAPSULE_CMD) {
      const sqe = Buffer.from(stream.subarray(at + 8, at + 72));
      // In-capsule data runs to PLEN, less the data digest when DDGST (flags bit 1) is set.
      const dataEnd = at + plen - ((stream[at + 1]! & 0x2) !== 0 ? 4 : 0);
      const step: Step = { sqe, data: pdo !== 0 ? Buffer.from(stream.subarray(at + pdo, dataEnd)) : null };
      const sglLength = sqe.readUInt32LE(32);
      if ((sqe[0]! & 0x3) === 1 && step.data === null && sglLength > 0) {
        step.data = Buffer.alloc(sglLength);
        awaiting.set(sqe.readUInt16LE(2), step);
      }
      steps.push(step);
    } else if (type === PDU_H2C_DATA) {
      const step = awaiting.get(stream.readUInt16LE(at + 8))!;
      const datao = stream.readUInt32LE(at + 12);
      const datal = stream.readUInt32LE(at + 16);
      stream.copy(step.data!, datao, at + pdo, at + pdo + datal);
    }
  }
  return steps;
}

function load(capture: string, conn: number): { steps: Step[]; captured: CapturedCommand[] } {
  return {
    steps: stepsOf(readVector(`nvme-tcp/${capture}.conn${conn}.host-to-ctrl.bin`)),
    captured: loadCapturedCommands(capture, conn),
  };
}

/** Where we answer differently from Linux nvmet, and why. */
function knownDifference(cmd: CapturedCommand, ours: Completion | undefined): string | null {
  const opc = cmd.sqe.opc;
  if (opc === AdminOpcode.ASYNC_EVENT_REQUEST) {
    // Still outstanding with us; Linux completed it as the association went away.
    expect(ours).toBeUndefined();
    return 'aer';
  }
  if (opc === AdminOpcode.GET_LOG_PAGE && (cmd.sqe.cdw10 & 0xff) === LogPageId.ASYMMETRIC_NAMESPACE_ACCESS) {
    // Linux reports ANA (CMIC bit 3); we do not, so a host never asks us for this page.
    expect(ours).toMatchObject({ sct: 1, sc: AdminCommandStatus.INVALID_LOG_PAGE });
    return 'ana';
  }
  return null;
}

function target(capture: string): NvmfTarget {
  const t = new NvmfTarget();
  t.addListener({ trtype: 'TCP', adrfam: 'IPv4', traddr: '127.0.0.1', trsvcid: '4420' });
  const sub = t.createSubsystem({ nqn: LAB_SUBNQN, allowAnyHost: true });
  // Geometry as the capture's Identify Namespace pages report it.
  const ids = loadCapturedCommands(capture, 1);
  const geometry = (nsid: number) => {
    const ns = parseIdentifyNamespace(identifyPayloads(ids, 0, nsid)[0]!.data);
    return { numBlocks: Number(ns.nsze), blockSize: 2 ** ns.lbafs[0]!.ds };
  };
  sub.addNamespace(new NullBlockDevice(geometry(1)), 1);
  sub.addNamespace(new MallocBlockDevice(geometry(2)), 2);
  return t;
}

describe('a Linux host session replayed against our target', () => {
  it.each(['linux-host-to-linux-nvmet-tcp-plain', 'linux-host-to-linux-nvmet-tcp-digests'])('%s: gets the answers Linux nvmet gave', (capture) => {
    const t = target(capture);
    const info = connectionInfo({ inCapsuleDataSize: 16384 });
    const queues = [0, 1, 2].map(() => new HostQueue(t.createQueuePair(info), false));
    const conns = [0, 1, 2].map((conn) => load(capture, conn));
    const run = (conn: number, from: number, to = conns[conn]!.steps.length) => {
      for (const step of conns[conn]!.steps.slice(from, to)) queues[conn]!.send(step.sqe, step.data);
    };
    // Discovery; then the admin queue up to its shutdown, the I/O queue, and the shutdown.
    run(0, 0);
    const adminSteps = conns[1]!.steps.length;
    run(1, 0, adminSteps - 2);
    run(2, 0);
    run(1, adminSteps - 2);

    const differences: string[] = [];
    /** One per captured read: null when our data equals Linux's, else the CID. */
    const readsChecked: { cid: number | null }[] = [];
    for (const conn of [0, 1, 2]) {
      const ours = new Map<number, Completion[]>();
      for (const c of queues[conn]!.completions) ours.set(c.cid, [...(ours.get(c.cid) ?? []), c]);
      for (const cmd of conns[conn]!.captured) {
        const mine = ours.get(cmd.sqe.cid)?.shift();
        const diff = knownDifference(cmd, mine);
        if (diff) {
          differences.push(diff);
          continue;
        }
        const what = `conn ${conn} cid ${cmd.sqe.cid} opc 0x${cmd.sqe.opc.toString(16)}`;
        expect({ what, sct: mine?.sct, sc: mine?.sc }).toEqual({ what, sct: cmd.cqe!.sct, sc: cmd.cqe!.sc });
        if (conn < 2) expect({ what, sqhd: mine!.sqhd }).toEqual({ what, sqhd: cmd.cqe!.sqhd });
        const isPropertyGet = cmd.sqe.opc === FABRICS_OPCODE && (cmd.sqe.nsid & 0xff) === FCTYPE_PROPERTY_GET;
        // CAP differs (Linux allows 1024-entry queues); VS, CC and CSTS must read the same.
        if (isPropertyGet && cmd.sqe.cdw11 !== 0) expect({ what, cdw0: mine!.cdw0 }).toEqual({ what, cdw0: cmd.cqe!.cdw0 });
        if (cmd.sqe.opc === IoOpcode.READ && conn === 2) readsChecked.push({ cid: mine!.data!.equals(cmd.data) ? null : cmd.sqe.cid });
      }
    }
    expect(differences.sort()).toEqual(['aer', 'aer', 'ana', 'ana']);
    // A read may differ only where Linux's file held the pattern before this capture wrote it
    // (left from an earlier run, ns 2 LBA 0): our fresh RAM device holds zeros there.
    const block = Buffer.from(PATTERN.repeat(4096 / PATTERN.length));
    for (const r of readsChecked.filter((x) => x.cid !== null)) {
      const captured = conns[2]!.captured.find((c) => c.sqe.cid === r.cid)!;
      expect({ cid: r.cid, nsid: captured.sqe.nsid, lba: captured.sqe.cdw10 }).toEqual({ cid: r.cid, nsid: 2, lba: 0 });
      expect(captured.data.equals(block)).toBe(true);
    }
    expect(readsChecked).toHaveLength(8);

    // The in-capsule 4 KiB write and the 128 KiB R2T write read back as the pattern.
    const reads = queues[2]!.completions.filter((c) => c.data && c.data.length > 0);
    const last = conns[2]!.steps.map((s) => decodeSqe(s.sqe)).filter((s) => s.opc === IoOpcode.READ).slice(-2);
    expect(last.map((s) => s.cdw10)).toEqual([0, 32]);
    expect(reads.at(-2)!.data!.equals(block)).toBe(true);
    expect(reads.at(-1)!.data!.equals(Buffer.concat(Array(32).fill(block)))).toBe(true);
    t.close();
  });
});
