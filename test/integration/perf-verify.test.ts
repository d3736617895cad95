/**
 * `nvme-perf --verify` (the built CLI, in its own process) against the
 * bundled target running in this process: on a correct RAM namespace over
 * 4 queue pairs and 2 workers it finds nothing wrong; behind a block device
 * that flips a bit in reads of one LBA range it fails loudly, naming an LBA
 * of that range.
 */
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { MallocBlockDevice } from '../../src/target/bdev/malloc.js';
import type { BlockDevice } from '../../src/target/bdev/block-device.js';
import { CorruptingBlockDevice } from '../helpers/corrupting-block-device.js';
import { serveBlockDevice } from '../helpers/in-process-target.js';
import { parseTable, perf, requireBuild, trid } from './perf-process.js';

const NQN = 'nqn.2016-06.io.nvmekit:verify';
const BLOCK = 512;
/** 4 MiB: 1024 I/O slots of 4 KiB, so most reads land on blocks the run has written. */
const NUM_BLOCKS = 8192;

let stop: (() => Promise<void>) | null = null;

async function serve(bdev: BlockDevice): Promise<string> {
  const served = await serveBlockDevice(NQN, bdev);
  stop = served.stop;
  return trid(served.trsvcid, NQN);
}

const VERIFY_RUN = ['--verify', '-q', '16', '-o', '4096', '-w', 'randrw', '-M', '50', '-c', '0x3', '-P', '2'];

beforeAll(requireBuild);

afterEach(async () => {
  await stop?.();
  stop = null;
});

describe('nvme-perf --verify', () => {
  it('finds no mismatch on a correct target, over 4 queue pairs and 2 workers', async () => {
    const target = await serve(new MallocBlockDevice({ blockSize: BLOCK, numBlocks: NUM_BLOCKS }));
    const run = await perf(...VERIFY_RUN, '-t', '1', '-r', target);
    expect(run.code, run.stderr).toBe(0);
    expect(parseTable(run.stdout).rows.map((r) => r.lcore)).toEqual([0, 1]);
    const verify = /^Verify: (\d+) reads checked against the block tags this run wrote, (\d+) mismatched$/m.exec(run.stdout);
    expect(verify, run.stdout).not.toBeNull();
    expect(Number(verify![1])).toBeGreaterThan(0);
    expect(verify![2]).toBe('0');
    expect(run.stderr).not.toContain('verify:');
  });

  it('fails loudly, naming the LBA, when the target corrupts reads of some blocks', async () => {
    const first = 1024;
    const count = 512;
    const bdev = new CorruptingBlockDevice(new MallocBlockDevice({ blockSize: BLOCK, numBlocks: NUM_BLOCKS }), first, count);
    const target = await serve(bdev);
    const run = await perf(...VERIFY_RUN, '-t', '20', '-r', target, '--json', '-');
    expect(run.code, run.stderr).toBe(1);
    const failure = /^nvme-perf: verify: LBA (\d+): data differs at byte 100 of the block: expected 0x[0-9a-f]{8}, read 0x[0-9a-f]{8} \(1 bit\(s\)\) \(TCP \(addr:127\.0\.0\.1 subnqn:nqn\.2016-06\.io\.nvmekit:verify\) NSID 1 from core [01], read of LBA \d+ len 8\)$/m.exec(
      run.stderr,
    );
    expect(failure, run.stderr).not.toBeNull();
    const lba = Number(failure![1]);
    expect(lba).toBeGreaterThanOrEqual(first);
    expect(lba).toBeLessThan(first + count);
    const doc = JSON.parse(run.stdout);
    expect(doc.verify.mismatchCount).toBeGreaterThanOrEqual(1);
    expect(doc.verify.mismatches[0].lba).toBe(lba);
    expect(bdev.corrupted).toBeGreaterThanOrEqual(1);
  });

  it('with -Q runs to the end past bad data, and still exits 1 saying how many reads were wrong', async () => {
    const bdev = new CorruptingBlockDevice(new MallocBlockDevice({ blockSize: BLOCK, numBlocks: NUM_BLOCKS }), 0, NUM_BLOCKS);
    const target = await serve(bdev);
    const run = await perf(...VERIFY_RUN, '-t', '1', '-Q', '1000', '-r', target, '--json', '-');
    expect(run.code, run.stderr).toBe(1);
    const doc = JSON.parse(run.stdout);
    const count = doc.verify.mismatchCount;
    expect(count).toBeGreaterThan(1);
    expect(doc.verify.mismatches.length).toBeGreaterThan(0);
    expect(doc.total.ios).toBeGreaterThan(count);
    const last = run.stderr.trimEnd().split('\n').at(-1);
    expect(last).toMatch(new RegExp(`^nvme-perf: --verify: ${count} read\\(s\\) returned wrong data; the first: verify: LBA \\d+: data differs at byte 100 `));
  });
});
