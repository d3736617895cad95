// vfio-nvme-identify.cjs: same as vfio-nvme-identify.c, but pure Node.js + koffi (FFI to libc).
// BAR0 is accessed through a Uint32Array over koffi.view(mmap(...)) with Atomics.load/store
// (guaranteed single 32-bit accesses); DMA memory is an anonymous mmap mapped via VFIO_IOMMU_MAP_DMA.
// usage: node vfio-nvme-identify.cjs <group> <pci-addr>
'use strict';
const koffi = require('koffi');
const libc = koffi.load('libc.so.6');
const open = libc.func('int open(const char *path, int flags)');
const ioctl = libc.func('int ioctl(int fd, unsigned long req, ...)');
const mmap = libc.func('void *mmap(void *addr, size_t len, int prot, int flags, int fd, int64_t off)');
const pread = libc.func('long pread(int fd, void *buf, size_t n, int64_t off)');
const pwrite = libc.func('long pwrite(int fd, const void *buf, size_t n, int64_t off)');
const strerror = libc.func('const char *strerror(int e)');
const die = (m) => { throw new Error(`${m}: ${strerror(koffi.errno())}`); };

const O_RDWR = 2, PROT_RW = 3, MAP_SHARED = 1, MAP_PRIVATE = 2, MAP_ANON = 0x20;
const IO = (n) => (0x3b << 8) | (100 + n);  // _IO(VFIO_TYPE=';', VFIO_BASE+n)
const VFIO_GET_API_VERSION = IO(0), VFIO_CHECK_EXTENSION = IO(1), VFIO_SET_IOMMU = IO(2),
  VFIO_GROUP_GET_STATUS = IO(3), VFIO_GROUP_SET_CONTAINER = IO(4), VFIO_GROUP_GET_DEVICE_FD = IO(6),
  VFIO_DEVICE_GET_INFO = IO(7), VFIO_DEVICE_GET_REGION_INFO = IO(8), VFIO_IOMMU_MAP_DMA = IO(13),
  VFIO_IOMMU_UNMAP_DMA = IO(14);
const VFIO_TYPE1v2_IOMMU = 3, BAR0 = 0, CONFIG = 7;

const t0 = performance.now();
const [group, bdf] = process.argv.slice(2);
const container = open('/dev/vfio/vfio', O_RDWR); if (container < 0) die('open container');
console.log(`VFIO API ${ioctl(container, VFIO_GET_API_VERSION)}, TYPE1v2 ${ioctl(container, VFIO_CHECK_EXTENSION, 'int', VFIO_TYPE1v2_IOMMU)}`);
const gfd = open(`/dev/vfio/${group}`, O_RDWR); if (gfd < 0) die('open group');
const st = Buffer.alloc(8); st.writeUInt32LE(8, 0);
if (ioctl(gfd, VFIO_GROUP_GET_STATUS, 'void *', st)) die('GROUP_GET_STATUS');
console.log(`group ${group} viable=${st.readUInt32LE(4) & 1}`);
const cbuf = Buffer.alloc(4); cbuf.writeInt32LE(container, 0);
if (ioctl(gfd, VFIO_GROUP_SET_CONTAINER, 'void *', cbuf)) die('SET_CONTAINER');
if (ioctl(container, VFIO_SET_IOMMU, 'int', VFIO_TYPE1v2_IOMMU)) die('SET_IOMMU');
const dev = ioctl(gfd, VFIO_GROUP_GET_DEVICE_FD, 'const char *', bdf); if (dev < 0) die('GET_DEVICE_FD');
const di = Buffer.alloc(20); di.writeUInt32LE(20, 0);
if (ioctl(dev, VFIO_DEVICE_GET_INFO, 'void *', di)) die('DEVICE_GET_INFO');
console.log(`device ${bdf}: regions=${di.readUInt32LE(8)} irqs=${di.readUInt32LE(12)}`);
function region(index) {
  const b = Buffer.alloc(32); b.writeUInt32LE(32, 0); b.writeUInt32LE(index, 8);
  if (ioctl(dev, VFIO_DEVICE_GET_REGION_INFO, 'void *', b)) die('GET_REGION_INFO');
  return { flags: b.readUInt32LE(4), size: Number(b.readBigUInt64LE(16)), offset: b.readBigUInt64LE(24) };
}
const r0 = region(BAR0);
console.log(`BAR0 size=0x${r0.size.toString(16)} flags=0x${r0.flags.toString(16)}`);
const barPtr = mmap(null, r0.size, PROT_RW, MAP_SHARED, dev, r0.offset);
if (koffi.address(barPtr) === 0xffffffffffffffffn) die('mmap BAR0');
const bar = new Uint32Array(koffi.view(barPtr, r0.size));
const rd = (off) => Atomics.load(bar, off >> 2) >>> 0;
const wr = (off, v) => { Atomics.store(bar, off >> 2, v); };
const rc = region(CONFIG);
const cmd = Buffer.alloc(2);
pread(dev, cmd, 2, rc.offset + 4n); cmd.writeUInt16LE(cmd.readUInt16LE(0) | 6, 0); pwrite(dev, cmd, 2, rc.offset + 4n);

const capLo = rd(0), capHi = rd(4), vs = rd(8);
const dstrd = capHi & 0xf;
console.log(`CAP=0x${capHi.toString(16).padStart(8, '0')}${capLo.toString(16).padStart(8, '0')} MQES=${(capLo & 0xffff) + 1} DSTRD=${dstrd} VS=${vs >> 16}.${(vs >> 8) & 0xff}.${vs & 0xff}`);

const PAGE = 4096, DMASZ = 8 * PAGE, IOVA = 0x100000n;
const memPtr = mmap(null, DMASZ, PROT_RW, MAP_PRIVATE | MAP_ANON, -1, 0);
const memAB = koffi.view(memPtr, DMASZ);
const mem = new Uint8Array(memAB), dv = new DataView(memAB), mem32 = new Int32Array(memAB);
const dm = Buffer.alloc(32);
dm.writeUInt32LE(32, 0); dm.writeUInt32LE(3, 4); dm.writeBigUInt64LE(koffi.address(memPtr), 8);
dm.writeBigUInt64LE(IOVA, 16); dm.writeBigUInt64LE(BigInt(DMASZ), 24);
if (ioctl(container, VFIO_IOMMU_MAP_DMA, 'void *', dm)) die('IOMMU_MAP_DMA');
console.log(`DMA mapped ${DMASZ} bytes vaddr=0x${koffi.address(memPtr).toString(16)} -> iova=0x${IOVA.toString(16)}`);

const sleepUntil = (pred, what) => { const s = performance.now(); while (!pred()) if (performance.now() - s > 10000) throw new Error('timeout ' + what); };
wr(0x14, 0); sleepUntil(() => !(rd(0x1c) & 1), 'RDY=0');
const AQ = 32;
wr(0x24, ((AQ - 1) << 16) | (AQ - 1));
wr(0x28, Number(IOVA)); wr(0x2c, 0); wr(0x30, Number(IOVA) + PAGE); wr(0x34, 0);
const te = performance.now();
wr(0x14, (6 << 16) | (4 << 20) | 1);
sleepUntil(() => rd(0x1c) & 1, 'RDY=1');
console.log(`controller enabled CSTS=0x${rd(0x1c).toString(16)} in ${(performance.now() - te).toFixed(1)} ms`);

function mkq(qid, sqPage, cqPage, depth) { return { qid, sq: sqPage * PAGE, cq: cqPage * PAGE, depth, tail: 0, head: 0, phase: 1 }; }
let cid = 1;
function post(q, f) {
  const o = q.sq + q.tail * 64;
  mem.fill(0, o, o + 64);
  dv.setUint32(o, (f.opc & 0xff) | (cid << 16), true);
  dv.setUint32(o + 4, f.nsid || 0, true);
  dv.setBigUint64(o + 24, BigInt(f.prp1 || 0), true);
  for (const [i, v] of (f.cdw || []).entries()) dv.setUint32(o + 40 + 4 * i, v >>> 0, true);
  q.tail = (q.tail + 1) % q.depth;
  wr(0x1000 + 2 * q.qid * (4 << dstrd), q.tail);
}
function submit(q, f) {
  post(q, f);
  const co = q.cq + q.head * 16;
  // poll the phase bit with Atomics.load (forces a real memory read each iteration)
  sleepUntil(() => ((Atomics.load(mem32, (co + 12) >> 2) >>> 16) & 1) === q.phase, 'completion');
  const status = dv.getUint16(co + 14, true) >> 1, gotCid = dv.getUint16(co + 12, true);
  if (gotCid !== cid) console.log(`warning: cid ${gotCid} != ${cid}`);
  if (++q.head === q.depth) { q.head = 0; q.phase ^= 1; }
  wr(0x1000 + (2 * q.qid + 1) * (4 << dstrd), q.head);
  cid++;
  if (status) throw new Error(`command opc=${f.opc} failed status=0x${status.toString(16)}`);
}
const iova = (page) => Number(IOVA) + page * PAGE;
const str = (o, n) => Buffer.from(mem.subarray(o, o + n)).toString('latin1').trimEnd();
const aq = mkq(0, 0, 1, AQ);
submit(aq, { opc: 0x06, prp1: iova(2), cdw: [1] });
const id = 2 * PAGE;
console.log(`IDENTIFY CONTROLLER: vid=0x${dv.getUint16(id, true).toString(16)} serial='${str(id + 4, 20)}' model='${str(id + 24, 40)}' fw='${str(id + 64, 8)}' nn=${dv.getUint32(id + 516, true)}`);
submit(aq, { opc: 0x06, nsid: 1, prp1: iova(2), cdw: [0] });
const flbas = mem[id + 26] & 0xf, lbads = (dv.getUint32(id + 128 + 4 * flbas, true) >> 16) & 0xff;
console.log(`IDENTIFY NS1: nsze=${dv.getBigUint64(id, true)} lba=${1 << lbads}`);
submit(aq, { opc: 0x05, prp1: iova(4), cdw: [(15 << 16) | 1, 1] });            // create IO CQ1
submit(aq, { opc: 0x01, prp1: iova(3), cdw: [(15 << 16) | 1, (1 << 16) | 1] }); // create IO SQ1
const ioq = mkq(1, 3, 4, 16);
const data = 5 * PAGE;
for (let i = 0; i < 512; i++) mem[data + i] = (i * 13 + 1) & 0xff;
submit(ioq, { opc: 0x01, nsid: 1, prp1: iova(5), cdw: [8, 0, 0] }); // WRITE LBA 8
mem.fill(0, data, data + PAGE);
submit(ioq, { opc: 0x02, nsid: 1, prp1: iova(5), cdw: [8, 0, 0] }); // READ LBA 8
let ok = true; for (let i = 0; i < 512; i++) if (mem[data + i] !== ((i * 13 + 1) & 0xff)) { ok = false; break; }
console.log(`I/O queue WRITE+READ LBA 8: ${ok ? 'data matches' : 'MISMATCH'}`);
// small latency benchmark: 200 sequential polled 512B reads
const tb = performance.now();
for (let i = 0; i < 200; i++) submit(ioq, { opc: 0x02, nsid: 1, prp1: iova(5), cdw: [i, 0, 0] });
console.log(`200 polled READs: ${((performance.now() - tb) / 200 * 1000).toFixed(0)} us/IO (TCG)`);

// MSI-X interrupt delivered to Node through VFIO_DEVICE_SET_IRQS + eventfd (read on the libuv threadpool)
const fs = require('fs');
const eventfd = libc.func('int eventfd(unsigned int initval, int flags)');
const VFIO_DEVICE_SET_IRQS = IO(10), MSIX = 2, SET_EVENTFD_TRIGGER = (1 << 2) | (1 << 5);
async function irqTest() {
  const efd0 = eventfd(0, 0), efd1 = eventfd(0, 0);
  const is = Buffer.alloc(20 + 8);
  is.writeUInt32LE(28, 0); is.writeUInt32LE(SET_EVENTFD_TRIGGER, 4); is.writeUInt32LE(MSIX, 8);
  is.writeUInt32LE(0, 12); is.writeUInt32LE(2, 16); is.writeInt32LE(efd0, 20); is.writeInt32LE(efd1, 24);
  if (ioctl(dev, VFIO_DEVICE_SET_IRQS, 'void *', is)) die('SET_IRQS MSI-X');
  submit(aq, { opc: 0x05, prp1: iova(7), cdw: [(15 << 16) | 2, (1 << 16) | 2 | 1] });      // IO CQ2: IEN=1, IV=1
  submit(aq, { opc: 0x01, prp1: iova(6), cdw: [(15 << 16) | 2, (2 << 16) | 1] });          // IO SQ2 -> CQ2
  const q2 = mkq(2, 6, 7, 16);
  const got = new Promise((res, rej) => fs.read(efd1, Buffer.alloc(8), 0, 8, null, (e, n, b) => e ? rej(e) : res(b.readBigUInt64LE(0))));
  const ti = performance.now();
  post(q2, { opc: 0x02, nsid: 1, prp1: iova(5), cdw: [8, 0, 0] });
  const count = await Promise.race([got, new Promise((_, rej) => setTimeout(() => rej(new Error('no MSI-X interrupt within 10 s')), 10000))]);
  const co = q2.cq + q2.head * 16;
  const phase = (Atomics.load(mem32, (co + 12) >> 2) >>> 16) & 1, status = dv.getUint16(co + 14, true) >> 1;
  console.log(`MSI-X vector 1 -> eventfd fired (count=${count}) ${(performance.now() - ti).toFixed(2)} ms after doorbell; CQE phase=${phase} status=${status}`);
  wr(0x1000 + (2 * 2 + 1) * (4 << dstrd), 1);
  return phase === 1 && status === 0;
}
const finish = (irqOk) => {
wr(0x14, 0);
if (process.env.DATAVIEW_PROBE) {  // which access widths does V8 use for DataView / plain typed-array access?
  sleepUntil(() => !(rd(0x1c) & 1), 'RDY=0');
  const bdv = new DataView(bar.buffer);
  console.error('PROBE: DataView.setUint32(0x24) / getUint32(0x8)'); bdv.setUint32(0x24, 0x00aa00bb, true); bdv.getUint32(0x8, true);
  console.error('PROBE: Uint32Array[0x24/4]= / read'); bar[0x24 >> 2] = 0x00cc00dd; void bar[0x8 >> 2];
  console.error('PROBE: Atomics.store/load'); Atomics.store(bar, 0x24 >> 2, 0x00ee00ff); Atomics.load(bar, 0x8 >> 2);
}
const du = Buffer.alloc(24); du.writeUInt32LE(24, 0); du.writeBigUInt64LE(IOVA, 8); du.writeBigUInt64LE(BigInt(DMASZ), 16);
if (ioctl(container, VFIO_IOMMU_UNMAP_DMA, 'void *', du)) die('UNMAP_DMA');
console.log(`total ${(performance.now() - t0).toFixed(0)} ms`);
process.exit(ok && irqOk ? 0 : 1);
};
irqTest().then(finish, (e) => { console.log('MSI-X test failed: ' + e.message); finish(false); });
