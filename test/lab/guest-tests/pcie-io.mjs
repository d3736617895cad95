// pcie-io.mjs -- data integrity and polled latency through nvmekit's PCIe transport (a helper of
// 30-pcie-nvme-vfio.sh, not a test on its own).
//
// Connects to the controller, opens --qpairs I/O queue pairs and, for each block size, writes, reads
// back and compares --count random block-aligned slots, spread over the queue pairs (slot % qpairs
// picks the queue pair, so their LBAs never overlap), --qd operations in flight on each. A shadow of
// the whole namespace (read in full first) tracks every write; a final pass re-reads every slot written. Then it measures
// polled 4 KiB reads (QD 1 latency and QD 32 IOPS with processCompletions in a loop), detaches, and
// writes the shadow to --image so the caller can compare it with what the kernel's nvme driver reads.
//
// With --interrupts the I/O queues complete through MSI-X (enableInterrupts) and the latency is that
// of one read at a time woken by its interrupt.
//
// With --dma-buffers every I/O buffer comes from Controller.allocDmaBuffer (IOMMU-mapped memory; a
// worker's write and read buffers are two subarrays of one allocation), so data moves with no copy
// through the bounce buffers; the throughput line says which way the data went.
//
// With --reset-after N the controller is reset (Controller.reset()) once N operations of the first
// block size were started, while the others are in flight: commands the reset took fail with
// ABORTED - SQ DELETION and DNR clear, and are sent again; the re-read pass then proves that every
// slot written before, during and after the reset holds its data.
//
// usage: node pcie-io.mjs -r TRID [--count 1000] [--sizes 4096,131072] [--qpairs 2] [--qd 8]
//                         [--seed 1] [--image FILE] [--interrupts] [--dma-buffers] [--reset-after N]
//                         [--io-timeout-ms 30000]
import { parseArgs } from 'node:util';
import { writeFileSync } from 'node:fs';
import { connect } from '../../../dist/src/index.js';

const { values: opt } = parseArgs({
  options: {
    trid: { type: 'string', short: 'r' },
    count: { type: 'string', default: '1000' },
    sizes: { type: 'string', default: '4096,131072' },
    qpairs: { type: 'string', default: '2' },
    qd: { type: 'string', default: '8' },
    seed: { type: 'string', default: '1' },
    image: { type: 'string' },
    interrupts: { type: 'boolean', default: false },
    'dma-buffers': { type: 'boolean', default: false },
    'reset-after': { type: 'string' },
    'io-timeout-ms': { type: 'string', default: '30000' },
  },
});
const num = (name) => {
  const v = Number(opt[name]);
  if (!Number.isSafeInteger(v) || v < 1) throw new Error(`--${name}: expected a positive integer, got '${opt[name]}'`);
  return v;
};
const count = num('count'), nQpairs = num('qpairs'), qd = num('qd'), seed = num('seed'), ioTimeoutMs = num('io-timeout-ms');
const sizes = opt.sizes.split(',').map(Number);
const resetAfter = opt['reset-after'] === undefined ? null : num('reset-after');
const NSID = 1;
const TAG_MAGIC = 0x45494350; // "PCIE"

/** mulberry32: a small seeded PRNG. */
function prng(s) {
  let a = s >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t ^= t + Math.imul(t ^ (t >>> 7), 61 | t);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const ctrlr = await connect(opt.trid, { enableInterrupts: opt.interrupts });
const ns = ctrlr.getNamespace(NSID);
if (!ns) throw new Error(`namespace ${NSID} is not active`);
const { lbaSize } = ns;
const nsBytes = Number(ns.numLbas) * lbaSize;
console.log(`${ctrlr.data.mn.trim()} ${ctrlr.trid.traddr}: ns ${NSID} ${ns.numLbas} x ${lbaSize} B, MDTS ${ctrlr.maxTransferSize} B, ${ctrlr.maxIoQueues} I/O queues`);
const shadow = Buffer.alloc(nsBytes);
const pool = Buffer.alloc((1 << 20) + Math.max(...sizes));
{
  const r = prng(seed);
  for (let i = 0; i < pool.length; i += 4) pool.writeUInt32LE((r() * 2 ** 32) >>> 0, i);
}
/** What LBAs lba.. hold after write generation `gen`: pool data behind a tag (magic, lba, gen). */
function fill(buf, lba, gen) {
  for (let o = 0; o < buf.length; o += lbaSize) {
    const l = lba + o / lbaSize;
    const src = (Math.imul(l ^ (gen << 12), 0x9e3779b1) >>> 0) % (1 << 20) & ~3;
    pool.copy(buf, o, src, src + lbaSize);
    buf.writeUInt32LE(TAG_MAGIC, o);
    buf.writeUInt32LE(l, o + 4);
    buf.writeUInt32LE(gen, o + 8);
  }
}
function check(got, want, lba, what) {
  if (got.equals(want)) return;
  for (let o = 0; o < got.length; o += lbaSize) {
    if (got.subarray(o, o + lbaSize).equals(want.subarray(o, o + lbaSize))) continue;
    const tag = got.readUInt32LE(o) === TAG_MAGIC ? `the tag of lba ${got.readUInt32LE(o + 4)} generation ${got.readUInt32LE(o + 8)}` : 'untagged data';
    throw new Error(`${what}: lba ${lba + o / lbaSize} differs: expected generation ${want.readUInt32LE(o + 8)}, found ${tag}`);
  }
}
function timed(p, what) {
  let timer;
  const expiry = new Promise((_, reject) => (timer = setTimeout(() => reject(new Error(`${what}: no completion within ${ioTimeoutMs} ms`)), ioTimeoutMs)));
  return Promise.race([p.catch((e) => { throw new Error(`${what}: ${e.message}`, { cause: e }); }), expiry]).finally(() => clearTimeout(timer));
}
/** ABORTED - SQ DELETION with DNR clear: what a controller reset does to the commands it takes. */
const takenByReset = (e) => e.cause?.name === 'NvmeStatusError' && e.cause.sct === 0 && e.cause.sc === 0x08 && !e.cause.dnr;
let retried = 0;
/** Runs an I/O, again when a reset took it. */
async function io(start, what) {
  for (;;) {
    try {
      return await timed(start(), what);
    } catch (e) {
      if (!takenByReset(e)) throw e;
      retried++;
    }
  }
}

const dmaBuffers = [];
/** `n` I/O buffers of `bytes` each: subarrays of one DMA buffer with --dma-buffers, heap Buffers otherwise. */
function ioBuffers(n, bytes) {
  if (!opt['dma-buffers']) return Array.from({ length: n }, () => Buffer.alloc(bytes));
  const dma = ctrlr.allocDmaBuffer(n * bytes);
  dmaBuffers.push(dma);
  return Array.from({ length: n }, (_, i) => dma.buf.subarray(i * bytes, (i + 1) * bytes));
}
const dataPath = opt['dma-buffers'] ? 'zero-copy DMA buffers' : 'bounce buffers';

const qpairs = [];
for (let i = 0; i < nQpairs; i++) qpairs.push(await ctrlr.allocIoQpair());
console.log(`I/O queue pairs: ${qpairs.map((q) => `qid ${q.qid} (${q.qsize} entries)`).join(', ')}`);

// The shadow starts as what the namespace holds now (earlier tests in the same boot write to it too).
{
  const chunk = 128 * 1024;
  for (let off = 0; off < nsBytes; off += chunk) {
    const n = Math.min(chunk, nsBytes - off);
    await timed(qpairs[off / chunk % nQpairs].readAsync(NSID, off / lbaSize, n / lbaSize, shadow.subarray(off, off + n)), `initial read at byte ${off}`);
  }
}

let gen = 0;
for (const blockBytes of sizes) {
  const nlb = blockBytes / lbaSize;
  const slots = Math.floor(nsBytes / blockBytes);
  const lastGen = new Int32Array(slots).fill(-1);
  const busy = new Uint8Array(slots);
  const pick = prng(seed ^ blockBytes);
  let issued = 0;
  let reset = null;
  const t0 = performance.now();
  const worker = async (q) => {
    const [want, got] = ioBuffers(2, blockBytes);
    while (issued < count) {
      issued++;
      if (issued === resetAfter && blockBytes === sizes[0]) {
        reset = ctrlr.reset().then(() => console.log(`pcie-io: controller reset after ${resetAfter} operations, with ${nQpairs * qd} in flight: done`));
      }
      let slot = Math.floor(pick() * slots);
      while (busy[slot] || slot % nQpairs !== q) slot = (slot + 1) % slots;
      busy[slot] = 1;
      const g = ++gen, lba = slot * nlb;
      fill(want, lba, g);
      await io(() => qpairs[q].writeAsync(NSID, lba, nlb, want), `qid ${qpairs[q].qid} WRITE lba ${lba} nlb ${nlb}`);
      want.copy(shadow, lba * lbaSize);
      lastGen[slot] = g;
      await io(() => qpairs[q].readAsync(NSID, lba, nlb, got), `qid ${qpairs[q].qid} READ lba ${lba} nlb ${nlb}`);
      check(got, want, lba, `read-back after write generation ${g} on qid ${qpairs[q].qid}`);
      busy[slot] = 0;
    }
  };
  await Promise.all(qpairs.flatMap((_, q) => Array.from({ length: qd }, () => worker(q))));
  if (reset) {
    await timed(reset, 'controller reset');
    console.log(`pcie-io: ${retried} command(s) taken by the reset were sent again`);
  }
  const written = [];
  lastGen.forEach((g, slot) => g >= 0 && written.push(slot));
  const [got] = ioBuffers(1, blockBytes);
  for (const slot of written) {
    const q = slot % nQpairs, lba = slot * nlb;
    await timed(qpairs[q].readAsync(NSID, lba, nlb, got), `re-read lba ${lba}`);
    check(got, shadow.subarray(lba * lbaSize, lba * lbaSize + blockBytes), lba, `re-read of slot ${slot}`);
  }
  const s = (performance.now() - t0) / 1000;
  console.log(`pcie-io: ${count} x ${blockBytes} B write+read+verify over ${nQpairs} queue pairs, ${written.length} slots re-read: OK (${((count * 2 + written.length) * blockBytes / s / 1e6).toFixed(1)} MB/s, ${dataPath})`);
}

/** Polled 4 KiB reads: `depth` in flight on one queue pair, processCompletions in a loop, no event loop. */
function polledReads(qp, depth, total) {
  const nlb = 4096 / lbaSize, span = Math.floor(Number(ns.numLbas) / nlb);
  const r = prng(seed);
  let submitted = 0, completed = 0, failed = null;
  const bufs = ioBuffers(depth, 4096);
  const submit = (buf) => {
    submitted++;
    qp.read(NSID, Math.floor(r() * span) * nlb, nlb, buf, (err) => {
      if (err) failed ??= err;
      completed++;
      if (submitted < total) submit(buf);
    });
  };
  const t0 = process.hrtime.bigint();
  for (const buf of bufs) submit(buf);
  const deadline = Date.now() + ioTimeoutMs;
  while (completed < total && failed === null) {
    qp.processCompletions(0);
    if (Date.now() > deadline) throw new Error(`polled reads: ${completed}/${total} completed within ${ioTimeoutMs} ms`);
  }
  if (failed) throw failed;
  const s = Number(process.hrtime.bigint() - t0) / 1e9;
  return { iops: total / s, latencyUs: (s / total) * depth * 1e6 };
}
/** One 4 KiB read at a time, each completed by its MSI-X interrupt (nobody polls). */
async function interruptReads(qp, total) {
  const nlb = 4096 / lbaSize, [buf] = ioBuffers(1, 4096);
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < total; i++) await timed(qp.readAsync(NSID, i * nlb, nlb, buf), `interrupt-mode read ${i}`);
  return Number(process.hrtime.bigint() - t0) / 1e3 / total;
}
if (opt.interrupts) {
  console.log(`pcie-io: interrupt-driven 4 KiB reads, QD 1: ${(await interruptReads(qpairs[0], 500)).toFixed(1)} us average latency`);
} else {
  const lat = polledReads(qpairs[0], 1, 2000);
  const tput = polledReads(qpairs[0], 32, 10000);
  console.log(`pcie-io: polled 4 KiB random reads: QD 1 ${lat.latencyUs.toFixed(1)} us average latency (${lat.iops.toFixed(0)} IOPS); QD 32 ${tput.iops.toFixed(0)} IOPS (${dataPath})`);
}

for (const qp of qpairs) await qp.free();
for (const dma of dmaBuffers) ctrlr.freeDmaBuffer(dma);
const report = await ctrlr.detach();
console.log(`pcie-io: detach: shutdown ${report.shutdown}${report.errors.map((e) => `; ${e.message}`).join('')}`);
if (opt.image) writeFileSync(opt.image, shadow);
process.exit(report.shutdown === 'complete' && report.errors.length === 0 ? 0 : 1);
