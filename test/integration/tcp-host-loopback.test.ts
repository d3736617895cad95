/**
 * Data integrity over NVMe/TCP loopback: our host (driver + TCP transport)
 * against the bundled target. 10 000 blocks of seeded random data written
 * through 4 I/O queue pairs with several commands in flight on each, then
 * every block read back and compared; a large write (R2T, many H2CData) and
 * a large read (many C2HData PDUs).
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { connect, type Controller, type QueuePair } from '../../src/index.js';
import { PduType } from '../../src/spec/tcp/index.js';
import { TcpQpair } from '../../src/transport/tcp/index.js';
import { mulberry32 } from '../helpers/prng.js';
import { startLoopbackTarget, type LoopbackTarget } from './tcp-loopback-target.js';

const BLOCK = 512;
const TOTAL_BLOCKS = 10_000;
const QPAIRS = 4;
const DEPTH = 8;

interface Run {
  lba: number;
  blocks: number;
}

/** Cuts [0, total) into runs of 1..16 blocks (up to 8 KiB: in-capsule and R2T writes) in random order. */
function randomRuns(total: number, rand: () => number): Run[] {
  const runs: Run[] = [];
  for (let lba = 0; lba < total; ) {
    const blocks = Math.min(1 + Math.floor(rand() * 16), total - lba);
    runs.push({ lba, blocks });
    lba += blocks;
  }
  for (let i = runs.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [runs[i], runs[j]] = [runs[j]!, runs[i]!];
  }
  return runs;
}

/** Runs `op` for every run, spread over the queue pairs, `DEPTH` in flight on each. */
async function across(qps: QueuePair[], runs: Run[], op: (qp: QueuePair, run: Run) => Promise<unknown>): Promise<void> {
  let next = 0;
  const worker = async (qp: QueuePair): Promise<void> => {
    while (next < runs.length) await op(qp, runs[next++]!);
  };
  await Promise.all(qps.flatMap((qp) => Array.from({ length: DEPTH }, () => worker(qp))));
}

let target: LoopbackTarget | null = null;
let ctrlr: Controller | null = null;
afterEach(async () => {
  await ctrlr?.detach();
  await target?.close();
  ctrlr = null;
  target = null;
  vi.restoreAllMocks();
});

describe('NVMe/TCP loopback data integrity', () => {
  for (const [digests, c2hSuccess] of [
    [false, true],
    [true, false],
  ] as const) {
    it(`writes ${TOTAL_BLOCKS} random blocks through ${QPAIRS} queue pairs and reads every one back (${digests ? 'digests' : 'no digests'}, ${c2hSuccess ? 'SUCCESS-flag' : 'CapsuleResp'} reads)`, async () => {
      target = await startLoopbackTarget({ listener: { c2hSuccess } });
      ctrlr = await connect(target.trid, { headerDigest: digests, dataDigest: digests, keepAliveTimeoutMs: 0 });
      const qps = await Promise.all(Array.from({ length: QPAIRS }, () => ctrlr!.allocIoQpair({ qsize: 32 })));
      const rand = mulberry32(digests ? 0xd16e57 : 0x91a1);
      const expected = Buffer.alloc(TOTAL_BLOCKS * BLOCK);
      for (let i = 0; i < expected.length; i += 4) expected.writeUInt32LE(Math.floor(rand() * 0x1_0000_0000), i);
      const slice = (run: Run) => expected.subarray(run.lba * BLOCK, (run.lba + run.blocks) * BLOCK);

      await across(qps, randomRuns(TOTAL_BLOCKS, rand), (qp, run) => qp.writeAsync(1, run.lba, run.blocks, slice(run)));
      const actual = Buffer.alloc(expected.length, 0xee);
      await across(qps, randomRuns(TOTAL_BLOCKS, rand), (qp, run) =>
        qp.readAsync(1, run.lba, run.blocks, actual.subarray(run.lba * BLOCK, (run.lba + run.blocks) * BLOCK)),
      );
      const bad = Array.from({ length: TOTAL_BLOCKS }, (_, lba) => lba).filter(
        (lba) => !actual.subarray(lba * BLOCK, (lba + 1) * BLOCK).equals(expected.subarray(lba * BLOCK, (lba + 1) * BLOCK)),
      );
      expect(bad).toEqual([]);
    });
  }

  /** Counts the PDU types our queue pairs receive. */
  function countReceivedPdus(): Map<number, number> {
    const counts = new Map<number, number>();
    const onPdu = TcpQpair.prototype.onPdu;
    vi.spyOn(TcpQpair.prototype, 'onPdu').mockImplementation(function (this: TcpQpair, hdr, data) {
      counts.set(hdr.type, (counts.get(hdr.type) ?? 0) + 1);
      onPdu.call(this, hdr, data);
    });
    return counts;
  }

  for (const digests of [false, true]) {
    it(`moves 1 MiB writes through many R2Ts and 1 MiB reads as many C2HData PDUs (${digests ? 'digests' : 'no digests'})`, async () => {
      target = await startLoopbackTarget({ listener: { maxIoSize: 1 << 20, maxH2CDataSize: 32 * 1024 }, numBlocks: 16384 });
      ctrlr = await connect(target.trid, { headerDigest: digests, dataDigest: digests, keepAliveTimeoutMs: 0 });
      const qp = await ctrlr.allocIoQpair();
      const rand = mulberry32(7);
      const data = Buffer.alloc(3 << 20);
      for (let i = 0; i < data.length; i += 4) data.writeUInt32LE(Math.floor(rand() * 0x1_0000_0000), i);
      const counts = countReceivedPdus();

      await qp.writeAsync(1, 100, data.length / BLOCK, data);
      // 3 MiB = 3 commands of 1 MiB (MDTS), each pulled in 32 R2Ts of 32 KiB.
      expect(counts.get(PduType.R2T)).toBe(96);
      counts.clear();

      const back = Buffer.alloc(data.length);
      await qp.readAsync(1, 100, back.length / BLOCK, back);
      expect(back.equals(data)).toBe(true);
      expect(counts.get(PduType.C2H_DATA)).toBe(3 * 8);
    });
  }
});
