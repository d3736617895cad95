/**
 * No acknowledged write is lost: writes go through nvmekit's host to
 * `nvme-target --file` (the compiled CLI in its own process), the target is
 * SIGKILLed as soon as the last completion arrived — no Flush, no shutdown —
 * then a new target on the same file must return every block.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, ftruncateSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { connect, type Controller } from '../../src/index.js';
import { ensureBuilt, REPO } from './fixtures/built-dist.js';

const CLI = 'dist/tools/nvme-target.js';
const SUBNQN = 'nqn.2016-06.io.nvmekit:durable';
const BLOCK = 512;
const BLOCKS = 4096;
const RUN = 16;

interface Running {
  child: ChildProcess;
  port: number;
  exit: Promise<NodeJS.Signals | number | null>;
}

let starts = 0;

/** Starts the target on `file`, each run with its own RPC socket (a killed one leaves its socket behind). */
function startTarget(file: string): Promise<Running> {
  const args = ['--file', file, '--nqn', SUBNQN, '--listen', 'tcp://127.0.0.1:0', '--rpc-socket', join(dir, `rpc-${starts++}.sock`)];
  const child = spawn(process.execPath, [join(REPO, CLI), ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  const exit = new Promise<NodeJS.Signals | number | null>((resolve) => child.on('exit', (code, signal) => resolve(signal ?? code)));
  return new Promise((resolve, reject) => {
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /^ready: .* trsvcid:(\d+) /m.exec(out);
      if (m) resolve({ child, port: Number(m[1]), exit });
    });
    void exit.then((code) => reject(new Error(`target exited with ${code} before it was ready: ${err}`)));
  });
}

const trid = (port: number): string => `trtype:TCP adrfam:IPv4 traddr:127.0.0.1 trsvcid:${port} subnqn:${SUBNQN}`;

/** mulberry32 */
function fill(buf: Buffer, seed: number): void {
  let a = seed >>> 0;
  for (let i = 0; i < buf.length; i += 4) {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    buf.writeUInt32LE((t ^ (t >>> 14)) >>> 0, i);
  }
}

let dir: string;
let file: string;
let running: Running | null = null;
let ctrlr: Controller | null = null;

beforeAll(() => {
  expect(ensureBuilt(CLI)).toBe(true);
}, 180_000);

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'nvmekit-durability-'));
  file = join(dir, 'disk.img');
  const fd = openSync(file, 'w');
  ftruncateSync(fd, BLOCKS * BLOCK);
  closeSync(fd);
});

afterEach(async () => {
  running?.child.kill('SIGKILL');
  await ctrlr?.detach();
  running = null;
  ctrlr = null;
  rmSync(dir, { recursive: true, force: true });
});

describe('file namespace durability', () => {
  it('returns every acknowledged write after the target was SIGKILLed and restarted on the same file', async () => {
    const expected = Buffer.alloc(BLOCKS * BLOCK);
    fill(expected, 0xd00d);

    running = await startTarget(file);
    ctrlr = await connect(trid(running.port), { keepAliveTimeoutMs: 0 });
    const qp = await ctrlr.allocIoQpair({ qsize: 64 });
    const writes: Promise<unknown>[] = [];
    for (let lba = 0; lba < BLOCKS; lba += RUN) writes.push(qp.writeAsync(1, lba, RUN, expected.subarray(lba * BLOCK, (lba + RUN) * BLOCK)));
    await Promise.all(writes);

    running.child.kill('SIGKILL');
    expect(await running.exit).toBe('SIGKILL');
    await ctrlr.detach();
    ctrlr = null;

    // The file itself holds every block, read by this process without the target.
    expect(readFileSync(file).equals(expected)).toBe(true);

    running = await startTarget(file);
    ctrlr = await connect(trid(running.port), { keepAliveTimeoutMs: 0 });
    const again = await ctrlr.allocIoQpair({ qsize: 64 });
    const actual = Buffer.alloc(expected.length, 0xee);
    const reads: Promise<unknown>[] = [];
    for (let lba = 0; lba < BLOCKS; lba += RUN) reads.push(again.readAsync(1, lba, RUN, actual.subarray(lba * BLOCK, (lba + RUN) * BLOCK)));
    await Promise.all(reads);
    const bad = Array.from({ length: BLOCKS }, (_, lba) => lba).filter(
      (lba) => !actual.subarray(lba * BLOCK, (lba + 1) * BLOCK).equals(expected.subarray(lba * BLOCK, (lba + 1) * BLOCK)),
    );
    expect(bad).toEqual([]);
  });
});
