#!/usr/bin/env node
/**
 * 4 KiB random reads per second on ONE NVMe/TCP queue pair over loopback, at
 * QD 1 and QD 64, against the bundled target running in its own process (so
 * the number is the host's, not the host's and the target's sharing one
 * event loop). Not a test: it prints numbers.
 *
 *   npm run build && node test/bench/tcp-read-iops.mjs [seconds per depth, default 5]
 *   NVMEKIT_DIST=/tmp/nvk node test/bench/tcp-read-iops.mjs    # another build output
 *   node --cpu-prof --cpu-prof-dir=/tmp/prof test/bench/tcp-read-iops.mjs   # profile the host side
 *
 * Environment: DIGESTS=1 turns on header and data digests; DEPTHS=64 runs only QD 64.
 */
import { spawn } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath, pathToFileURL } from 'node:url';

const dist = process.env.NVMEKIT_DIST ?? fileURLToPath(new URL('../../dist/', import.meta.url));
const { connect } = await import(pathToFileURL(`${dist}/src/index.js`).href);
const seconds = Number(process.argv[2] ?? 5);
const digests = process.env.DIGESTS === '1';
const depths = (process.env.DEPTHS ?? '1,64').split(',').map(Number);
const IO_SIZE = 4096;
const BLOCK = 512;
const NUM_BLOCKS = (256 * 1024 * 1024) / BLOCK;

/** Starts `nvme-target` on an ephemeral port; resolves with its transport ID and the child. */
function startTarget() {
  const child = spawn(process.execPath, [`${dist}/tools/nvme-target.js`, '--listen', 'tcp://127.0.0.1:0', '--malloc', '256M:512',
    // Its own RPC socket, so a target already running (or a test) keeps the default one.
    '--rpc-socket', join(tmpdir(), `nvmekit-bench-${process.pid}.sock`)], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return new Promise((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`nvme-target exited with ${code}`)));
    createInterface({ input: child.stdout }).on('line', (line) => {
      if (line.startsWith('ready: ')) resolve({ child, trid: line.slice('ready: '.length) });
    });
  });
}

/** Keeps `depth` reads in flight for `ms`; callbacks only, one buffer per slot. */
function run(qp, depth, ms) {
  return new Promise((resolve, reject) => {
    let seed = 0x2545f491;
    const randomLba = () => {
      seed ^= seed << 13;
      seed ^= seed >>> 17;
      seed ^= seed << 5;
      return ((seed >>> 0) % (NUM_BLOCKS / 8)) * 8;
    };
    let completed = 0;
    let inflight = 0;
    let stopping = false;
    const start = process.hrtime.bigint();
    const buffers = Array.from({ length: depth }, () => Buffer.alloc(IO_SIZE));
    const submit = (slot) => {
      inflight++;
      qp.read(1, randomLba(), IO_SIZE / BLOCK, buffers[slot], (err) => {
        inflight--;
        if (err) return reject(err);
        completed++;
        if (!stopping) submit(slot);
        else if (inflight === 0) {
          const ns = Number(process.hrtime.bigint() - start);
          resolve({ iops: completed / (ns / 1e9), latencyUs: (ns / 1e3 / completed) * depth });
        }
      });
    };
    for (let i = 0; i < depth; i++) submit(i);
    setTimeout(() => (stopping = true), ms);
  });
}

const { child, trid } = await startTarget();
try {
  const ctrlr = await connect(trid, { headerDigest: digests, dataDigest: digests, keepAliveTimeoutMs: 0 });
  const qp = await ctrlr.allocIoQpair({ qsize: 128 });
  await run(qp, 16, 500); // warm up: JIT, buffer pools
  console.log(`NVMe/TCP loopback, one queue pair, 4 KiB random reads${digests ? ', header+data digests' : ''}, ${seconds} s each`);
  for (const depth of depths) {
    const r = await run(qp, depth, seconds * 1000);
    const mibs = (r.iops * IO_SIZE) / (1024 * 1024);
    console.log(`QD ${String(depth).padStart(2)}: ${Math.round(r.iops).toLocaleString('en-US').padStart(9)} IOPS  ${mibs.toFixed(1).padStart(7)} MiB/s  avg ${r.latencyUs.toFixed(1)} us`);
  }
  await qp.free();
  await ctrlr.detach();
} finally {
  child.kill('SIGTERM');
}
