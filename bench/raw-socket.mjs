#!/usr/bin/env node
/**
 * The raw-socket ceiling: what plain Node sockets do with the byte shapes of
 * NVMe/TCP I/O and no NVMe logic at all, with the threads placed and polling
 * as nvme-perf --loopback places them: the client on one core, polling while
 * at most 16 I/Os are in flight (as nvme-perf's workers do), the server thread
 * on another core, always polling (as the loopback target does).
 *
 * Per I/O the client sends a 72-byte CapsuleCmd, followed by the data for a
 * write (up to 4 KiB travels in the capsule, as with the bundled target); the
 * server answers a read with a 24-byte C2HData header and the data (SUCCESS
 * flag: no CapsuleResp), a write with a 24-byte CapsuleResp. Both sides find
 * PDU boundaries from PLEN and do nothing else: no command parsing, no copy
 * out of the receive buffer, static buffers, writes corked per socket read.
 * The client receives with `onread` into one buffer and the server with
 * 'data' events, as nvmekit's host and target do.
 *
 *   node bench/raw-socket.mjs <ioSize> <depth> <readPercent> <seconds> [clientCore serverCore]
 *
 * Prints one JSON line: { "iops", "mibps", "p50Us", "p99Us" }. Needs dist/ (npm run build).
 */
import { connect, createServer } from 'node:net';
import { performance } from 'node:perf_hooks';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';

const dist = fileURLToPath(new URL('../dist/', import.meta.url));
const { pinCurrentThread } = await import(pathToFileURL(`${dist}src/native/libc.js`).href);

const CMD_BYTES = 72;
const RESP_BYTES = 24;
const DATA_HEADER_BYTES = 24;
const IN_CAPSULE_MAX = 4096;
const RECV_BUFFER_BYTES = 128 * 1024;
const TYPE_CAPSULE_CMD = 0x04;
const TYPE_CAPSULE_RESP = 0x05;
const TYPE_C2H_DATA = 0x07;
const FLAGS_LAST_SUCCESS = 0x0c;
/** nvme-perf's workers poll up to this many I/Os in flight and wait above it. */
const POLL_MAX_IN_FLIGHT = 16;

/** A PDU header of `type`, HLEN `hlen`, PLEN `plen`, the rest zero. */
function header(type, hlen, plen, flags = 0) {
  const b = Buffer.alloc(hlen);
  b[0] = type;
  b[1] = flags;
  b[2] = hlen;
  b.writeUInt32LE(plen, 4);
  return b;
}

/** Calls `onPdu(type, plen)` for every PDU that ends in the stream, whatever the chunking. */
function pduFramer(onPdu) {
  const common = Buffer.alloc(8);
  let have = 0;
  let remaining = 0;
  let type = 0;
  let plen = 0;
  return (chunk, n) => {
    let at = 0;
    while (at < n) {
      if (remaining === 0) {
        const take = Math.min(8 - have, n - at);
        chunk.copy(common, have, at, at + take);
        have += take;
        at += take;
        if (have < 8) return;
        have = 0;
        type = common[0];
        plen = common.readUInt32LE(4);
        remaining = plen - 8;
      }
      const take = Math.min(remaining, n - at);
      remaining -= take;
      at += take;
      if (remaining === 0) onPdu(type, plen);
    }
  };
}

/** Keeps the event loop from sleeping while `running()`. */
function spin(running) {
  const tick = () => void (running() && setImmediate(tick));
  tick();
}

function serve({ ioSize, core }) {
  pinCurrentThread(core);
  const readHeader = header(TYPE_C2H_DATA, DATA_HEADER_BYTES, DATA_HEADER_BYTES + ioSize, FLAGS_LAST_SUCCESS);
  const readData = Buffer.alloc(ioSize, 0x5a);
  const resp = header(TYPE_CAPSULE_RESP, RESP_BYTES, RESP_BYTES);
  let running = true;
  const server = createServer({ noDelay: true }, (socket) => {
    const frame = pduFramer((type, plen) => {
      if (type !== TYPE_CAPSULE_CMD) return;
      if (plen > CMD_BYTES) {
        socket.write(resp);
      } else {
        socket.write(readHeader);
        socket.write(readData);
      }
    });
    socket.on('data', (chunk) => {
      socket.cork();
      frame(chunk, chunk.length);
      socket.uncork();
    });
    socket.on('error', () => undefined);
  });
  server.listen(0, '127.0.0.1', () => parentPort.postMessage(server.address().port));
  spin(() => running);
  parentPort.once('message', () => {
    running = false;
    server.close();
    parentPort.close();
  });
}

async function client(ioSize, depth, readPercent, seconds, clientCore, serverCore) {
  const { LatencyStats } = await import(pathToFileURL(`${dist}src/bench/latency-stats.js`).href);
  const { Xoshiro128 } = await import(pathToFileURL(`${dist}src/bench/prng.js`).href);
  if (ioSize > IN_CAPSULE_MAX && readPercent < 100) throw new Error('writes larger than 4 KiB would need R2T; the ceiling only models in-capsule writes');
  const worker = new Worker(fileURLToPath(import.meta.url), { workerData: { ioSize, core: serverCore } });
  const port = await new Promise((resolve) => worker.once('message', resolve));
  pinCurrentThread(clientCore);
  const readCmd = header(TYPE_CAPSULE_CMD, CMD_BYTES, CMD_BYTES);
  const writeCmd = header(TYPE_CAPSULE_CMD, CMD_BYTES, CMD_BYTES + ioSize);
  const writeData = Buffer.alloc(ioSize, 0xa5);
  const rng = new Xoshiro128(1);
  const stats = new LatencyStats();
  // Responses come back in request order, so the outstanding start times form a FIFO.
  const starts = new Float64Array(depth);
  let head = 0;
  let tail = 0;
  let measuring = false;
  let stopping = false;
  let outstanding = 0;
  let firstMs = 0;
  let lastMs = 0;
  let socket;
  const submit = (now) => {
    starts[tail] = now;
    tail = tail + 1 === depth ? 0 : tail + 1;
    outstanding++;
    if (readPercent === 100 || rng.nextBelow(100) < readPercent) {
      socket.write(readCmd);
    } else {
      socket.write(writeCmd);
      socket.write(writeData);
    }
  };
  return new Promise((resolve) => {
    const frame = pduFramer(() => {
      const now = performance.now();
      if (measuring) stats.record((now - starts[head]) * 1e6, ioSize);
      head = head + 1 === depth ? 0 : head + 1;
      outstanding--;
      if (!stopping) submit(now);
      else if (outstanding === 0) finish();
    });
    const recv = Buffer.allocUnsafe(RECV_BUFFER_BYTES);
    socket = connect({
      host: '127.0.0.1',
      port,
      noDelay: true,
      onread: {
        buffer: recv,
        callback: (n) => {
          socket.cork();
          frame(recv, n);
          socket.uncork();
          return true;
        },
      },
    });
    socket.once('connect', () => {
      if (depth <= POLL_MAX_IN_FLIGHT) spin(() => !stopping || outstanding > 0);
      socket.cork();
      for (let i = 0; i < depth; i++) submit(performance.now());
      socket.uncork();
      // Half a second of warm-up (JIT), then the measured part.
      setTimeout(() => {
        measuring = true;
        firstMs = performance.now();
        setTimeout(() => {
          lastMs = performance.now();
          stopping = true;
        }, seconds * 1000);
      }, 500);
    });
    const finish = () => {
      socket.destroy();
      worker.postMessage('stop');
      const h = stats.toHdr();
      const iops = (stats.ios * 1000) / (lastMs - firstMs);
      resolve({
        iops,
        mibps: (iops * ioSize) / (1024 * 1024),
        p50Us: h.getValueAtPercentile(50) / 1000,
        p99Us: h.getValueAtPercentile(99) / 1000,
      });
      h.destroy();
    };
  });
}

if (isMainThread) {
  const [ioSize, depth, readPercent, seconds, clientCore = 1, serverCore = 0] = process.argv.slice(2).map(Number);
  if (![ioSize, depth, readPercent, seconds].every((n) => Number.isFinite(n) && n >= 0)) {
    process.stderr.write('usage: node bench/raw-socket.mjs <ioSize> <depth> <readPercent> <seconds> [clientCore serverCore]\n');
    process.exit(2);
  }
  const r = await client(ioSize, depth, readPercent, seconds, clientCore, serverCore);
  process.stdout.write(`${JSON.stringify(r)}\n`);
} else {
  serve(workerData);
}
