// host-io.mjs -- data-integrity I/O through nvmekit's public API (a helper of the lab tests, not a test
// on its own): connect, allocIoQpair, writeAsync/readAsync, free, detach.
//
// For each block size, COUNT random block-aligned slots of the namespace are written, read back and
// compared, QD operations in flight; then every slot written is read once more and must hold its last
// write (catches lost, stale or misdirected writes). Every LBA starts with a tag (magic, seed, LBA,
// generation) and is filled from a seeded pool, so a mismatch says what was found there instead, and
// `--seed` reproduces the data of a failing run.
//
// usage: node host-io.mjs -r TRID [--nsid 1] [--digests] [--seed 1] [--count 1000]
//                         [--sizes 4096,131072] [--qd 8] [--io-timeout-ms 30000]
// Prints one summary line per block size; on the first failure prints "host-io: FAIL: ..." and exits 1.
import { parseArgs } from 'node:util';

const { values: opt } = parseArgs({
  options: {
    trid: { type: 'string', short: 'r' },
    nsid: { type: 'string', default: '1' },
    digests: { type: 'boolean', default: false },
    seed: { type: 'string', default: '1' },
    count: { type: 'string', default: '1000' },
    sizes: { type: 'string', default: '4096,131072' },
    qd: { type: 'string', default: '8' },
    'io-timeout-ms': { type: 'string', default: '30000' },
  },
});
const intOpt = (name) => {
  const v = Number(opt[name]);
  if (!Number.isSafeInteger(v) || v < 0) throw new Error(`--${name}: expected a non-negative integer, got '${opt[name]}'`);
  return v;
};
const TAG_MAGIC = 0x544b564e; // "NVKT"
const TAG_BYTES = 20;
const POOL_BYTES = 1 << 20;

/** 32-bit avalanche mix (murmur3 fmix32): per-LBA pool offsets from (seed, lba, generation). */
function mix32(h) {
  h ^= h >>> 16; h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13; h = Math.imul(h, 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}
/** mulberry32: small seeded PRNG, enough to make slot choices and the data pool reproducible. */
function mulberry32(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t ^= t + Math.imul(t ^ (t >>> 7), 61 | t);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

class Pattern {
  constructor(seed, lbaSize, maxBlockBytes) {
    this.seed = seed;
    this.lbaSize = lbaSize;
    const rnd = mulberry32(seed);
    this.pool = Buffer.alloc(POOL_BYTES + maxBlockBytes);
    for (let i = 0; i < this.pool.length; i += 4) this.pool.writeUInt32LE((rnd() * 4294967296) >>> 0, i);
  }
  /** What LBAs lba..lba+nlb-1 hold after the write of generation `gen`. */
  fill(buf, lba, nlb, gen) {
    for (let i = 0; i < nlb; i++) {
      const o = i * this.lbaSize;
      const l = lba + i;
      const src = (mix32(this.seed ^ Math.imul(l, 0x9e3779b1) ^ Math.imul(gen, 0x27d4eb2f)) % POOL_BYTES) & ~3;
      this.pool.copy(buf, o, src, src + this.lbaSize);
      buf.writeUInt32LE(TAG_MAGIC, o);
      buf.writeUInt32LE(this.seed, o + 4);
      buf.writeUInt32LE(l % 2 ** 32, o + 8);
      buf.writeUInt32LE(Math.floor(l / 2 ** 32), o + 12);
      buf.writeUInt32LE(gen, o + 16);
    }
  }
  describe(buf, o) {
    if (buf.readUInt32LE(o) !== TAG_MAGIC) return `untagged data (first bytes ${buf.subarray(o, o + 16).toString('hex')})`;
    const l = buf.readUInt32LE(o + 8) + buf.readUInt32LE(o + 12) * 2 ** 32;
    return `the tag of lba ${l} generation ${buf.readUInt32LE(o + 16)} (seed ${buf.readUInt32LE(o + 4)})`;
  }
  /** Throws naming the first LBA whose content differs from the expected buffer. */
  check(got, want, lba, nlb, what) {
    if (got.equals(want)) return;
    for (let i = 0; i < nlb; i++) {
      const o = i * this.lbaSize;
      const g = got.subarray(o, o + this.lbaSize);
      const w = want.subarray(o, o + this.lbaSize);
      if (g.equals(w)) continue;
      let b = 0;
      while (g[b] === w[b]) b++;
      throw new Error(`${what}: lba ${lba + i} differs at byte ${b}: expected ${this.describe(want, o)}, found ${this.describe(got, o)}`);
    }
  }
}

/** Settles like `promise`, or rejects after `ms`; either error names the operation. */
function withTimeout(promise, ms, what) {
  let timer;
  const expiry = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: did not complete within ${ms} ms`)), ms);
  });
  const named = promise.catch((e) => { throw new Error(`${what}: ${e?.message ?? e}`, { cause: e }); });
  return Promise.race([named, expiry]).finally(() => clearTimeout(timer));
}

async function runSize(qpair, ns, blockBytes, cfg) {
  const { lbaSize } = ns;
  if (blockBytes % lbaSize) throw new Error(`block size ${blockBytes} is not a multiple of the LBA size ${lbaSize}`);
  const nlb = blockBytes / lbaSize;
  const slots = Math.floor(Number(ns.numLbas) / nlb);
  if (slots < cfg.qd * 2) throw new Error(`namespace ${ns.nsid} has room for ${slots} blocks of ${blockBytes} B, need at least ${cfg.qd * 2}`);
  const pattern = new Pattern(cfg.seed, lbaSize, blockBytes);
  const lastGen = new Int32Array(slots).fill(-1);
  const busy = new Uint8Array(slots);
  const pick = mulberry32(cfg.seed ^ blockBytes);
  let issued = 0;
  let gen = 0;
  let bytesWritten = 0;
  let bytesRead = 0;
  const io = (kind, lba, buf) => {
    const what = `${kind} nsid ${ns.nsid} lba ${lba} nlb ${nlb}`;
    const p = kind === 'WRITE' ? qpair.writeAsync(ns.nsid, lba, nlb, buf) : qpair.readAsync(ns.nsid, lba, nlb, buf);
    return withTimeout(p, cfg.ioTimeoutMs, what).then(() => {
      if (kind === 'WRITE') bytesWritten += blockBytes; else bytesRead += blockBytes;
    });
  };
  const workers = (body) => Promise.all(Array.from({ length: cfg.qd }, () => body(Buffer.alloc(blockBytes), Buffer.alloc(blockBytes))));

  const t0 = performance.now();
  await workers(async (want, got) => {
    while (issued < cfg.count) {
      issued++;
      let slot = Math.floor(pick() * slots);
      while (busy[slot]) slot = (slot + 1) % slots;
      busy[slot] = 1;
      const g = ++gen;
      const lba = slot * nlb;
      pattern.fill(want, lba, nlb, g);
      await io('WRITE', lba, want);
      lastGen[slot] = g;
      await io('READ', lba, got);
      pattern.check(got, want, lba, nlb, `read-back after write generation ${g}`);
      busy[slot] = 0;
    }
  });
  const written = [];
  lastGen.forEach((g, slot) => { if (g >= 0) written.push(slot); });
  let next = 0;
  await workers(async (want, got) => {
    while (next < written.length) {
      const slot = written[next++];
      const lba = slot * nlb;
      pattern.fill(want, lba, nlb, lastGen[slot]);
      await io('READ', lba, got);
      pattern.check(got, want, lba, nlb, `final pass, last write was generation ${lastGen[slot]}`);
    }
  });
  const secs = (performance.now() - t0) / 1000;
  const mb = (bytesWritten + bytesRead) / 1e6;
  console.log(`host-io: ${blockBytes} B x ${cfg.count} ok (nsid ${ns.nsid}, lba ${lbaSize} B, qd ${cfg.qd}, ` +
    `digests ${cfg.digests ? 'header+data' : 'off'}, seed ${cfg.seed}): ${written.length} slots re-verified, ` +
    `${(bytesWritten / 1e6).toFixed(1)} MB written, ${(bytesRead / 1e6).toFixed(1)} MB read in ${secs.toFixed(2)} s, ` +
    `${(mb / secs).toFixed(1)} MB/s`);
}

async function main() {
  if (!opt.trid) throw new Error('-r TRID is required');
  const cfg = {
    nsid: intOpt('nsid'), seed: intOpt('seed'), count: intOpt('count'), qd: Math.max(1, intOpt('qd')),
    ioTimeoutMs: intOpt('io-timeout-ms'), digests: opt.digests,
    sizes: opt.sizes.split(',').map((s) => {
      const v = Number(s);
      if (!Number.isSafeInteger(v) || v <= 0) throw new Error(`--sizes: '${s}' is not a block size in bytes`);
      return v;
    }),
  };
  const api = new URL('../../../dist/src/index.js', import.meta.url);
  let nvmekit;
  try {
    nvmekit = await import(api);
  } catch (e) {
    throw new Error(`cannot load nvmekit's public API from ${api.pathname} (npm run build?): ${e.message}`);
  }
  if (typeof nvmekit.connect !== 'function') throw new Error(`${api.pathname} does not export connect()`);
  const ctrl = await withTimeout(nvmekit.connect(opt.trid, { headerDigest: cfg.digests, dataDigest: cfg.digests }),
    cfg.ioTimeoutMs, `connect(${opt.trid})`);
  let qpair;
  let failure;
  try {
    const ns = ctrl.namespaces.find((n) => n.nsid === cfg.nsid);
    if (!ns) throw new Error(`namespace ${cfg.nsid} not found; the controller reports nsids [${ctrl.namespaces.map((n) => n.nsid).join(', ')}]`);
    console.log(`host-io: connected to ${opt.trid}; nsid ${ns.nsid}: ${ns.numLbas} LBAs of ${ns.lbaSize} B`);
    qpair = await withTimeout(ctrl.allocIoQpair({ qsize: Math.max(32, cfg.qd * 2) }), cfg.ioTimeoutMs, 'allocIoQpair()');
    for (const size of cfg.sizes) await runSize(qpair, ns, size, cfg);
  } catch (e) {
    failure = e;
  }
  // Teardown runs after a failure too (it is part of what is tested); the first error is the one reported.
  const teardown = [['qpair.free()', () => qpair?.free()], ['controller.detach()', () => ctrl.detach()]];
  for (const [what, call] of teardown) {
    try {
      await withTimeout(Promise.resolve(call()), cfg.ioTimeoutMs, what);
    } catch (e) {
      if (failure) console.error(`host-io: also: ${e.message}`); else failure = e;
    }
  }
  if (failure) throw failure;
}

main().then(() => process.exit(0), (e) => {
  console.error(`host-io: FAIL: ${e.message}`);
  if (e.cause?.stack) console.error(e.cause.stack);
  process.exit(1);
});
