// verbs-loopback.cjs: raw libibverbs from Node.js via koffi (no native addon) on Soft-RoCE.
// Two RC QPs on the same rxe device are connected to each other (GID index 1 = IPv4-mapped),
// then QP A does an RDMA WRITE into QP B's registered buffer, and an RDMA READ back.
// ibv_post_send / ibv_poll_cq are static inline in verbs.h, so they are called through the
// function pointers in struct ibv_context.ops (offsets from rdma-core 44 / x86_64 verbs.h).
'use strict';
const koffi = require('koffi');
const v = koffi.load('libibverbs.so.1');
const libc = koffi.load('libc.so.6');
const mmap = libc.func('void *mmap(void *a, size_t l, int p, int f, int fd, int64_t o)');
const f = (s) => v.func(s);
const get_device_list = f('void *ibv_get_device_list(_Out_ int *n)');
const get_device_name = f('const char *ibv_get_device_name(void *dev)');
const open_device = f('void *ibv_open_device(void *dev)');
const alloc_pd = f('void *ibv_alloc_pd(void *ctx)');
const reg_mr = f('void *ibv_reg_mr(void *pd, void *addr, size_t len, int access)');
const create_cq = f('void *ibv_create_cq(void *ctx, int cqe, void *cqctx, void *chan, int vec)');
const create_qp = f('void *ibv_create_qp(void *pd, void *attr)');
const modify_qp = f('int ibv_modify_qp(void *qp, void *attr, int mask)');
const query_gid = f('int ibv_query_gid(void *ctx, uint8_t port, int index, void *gid)');
const PostSend = koffi.proto('int PostSend(void *qp, void *wr, void *bad)');
const PollCq = koffi.proto('int PollCq(void *cq, int n, void *wc)');
const die = (m) => { throw new Error(m + ' errno=' + koffi.errno()); };
const t0 = performance.now();

const n = [0];
const list = get_device_list(n);
if (!list || !n[0]) die('no RDMA devices');
const dev = koffi.decode(list, 'void *');
console.log(`devices: ${n[0]}, first = ${get_device_name(dev)}`);
const ctx = open_device(dev); if (!ctx) die('open_device');
const pd = alloc_pd(ctx); if (!pd) die('alloc_pd');
const bufA = mmap(null, 4096, 3, 0x22, -1, 0n), bufB = mmap(null, 4096, 3, 0x22, -1, 0n);
const A = new Uint8Array(koffi.view(bufA, 4096)), B = new Uint8Array(koffi.view(bufB, 4096));
const ACC = 1 | 2 | 4; // LOCAL_WRITE | REMOTE_WRITE | REMOTE_READ
const mrA = reg_mr(pd, bufA, 4096, ACC), mrB = reg_mr(pd, bufB, 4096, ACC);
if (!mrA || !mrB) die('reg_mr');
const lkey = (mr) => koffi.decode(mr, 36, 'uint32_t'), rkey = (mr) => koffi.decode(mr, 40, 'uint32_t');
console.log(`MR A lkey=0x${lkey(mrA).toString(16)} MR B rkey=0x${rkey(mrB).toString(16)}`);
const cq = create_cq(ctx, 16, null, null, 0); if (!cq) die('create_cq');

function mkqp() {
  const a = Buffer.alloc(64);
  a.writeBigUInt64LE(cq, 8); a.writeBigUInt64LE(cq, 16);
  a.writeUInt32LE(16, 32); a.writeUInt32LE(16, 36); a.writeUInt32LE(1, 40); a.writeUInt32LE(1, 44); // cap
  a.writeUInt32LE(2, 52); // IBV_QPT_RC
  const qp = create_qp(pd, a); if (!qp) die('create_qp');
  return { qp, qpn: koffi.decode(qp, 52, 'uint32_t') };
}
const qa = mkqp(), qb = mkqp();
const gid = Buffer.alloc(16);
if (query_gid(ctx, 1, 1, gid)) die('query_gid');
console.log(`QPs ${qa.qpn}, ${qb.qpn}; GID[1] = ${gid.toString('hex').replace(/(.{4})/g, '$1:').slice(0, -1)}`);

function connect(q, remoteQpn) {
  let a = Buffer.alloc(144);
  a.writeUInt32LE(1, 0); a.writeUInt16LE(0, 120); a.writeUInt8(1, 129); a.writeUInt32LE(ACC, 32);
  if (modify_qp(q.qp, a, 1 | 16 | 32 | 8)) die('modify INIT');
  a = Buffer.alloc(144);
  a.writeUInt32LE(2, 0); a.writeUInt32LE(3, 8); a.writeUInt32LE(remoteQpn, 28); a.writeUInt32LE(0, 20);
  a.writeUInt8(1, 127); a.writeUInt8(12, 128);
  gid.copy(a, 56 + 0); a.writeUInt8(1, 56 + 20); a.writeUInt8(64, 56 + 21); // grh.dgid, sgid_index, hop_limit
  a.writeUInt8(1, 56 + 29); a.writeUInt8(1, 56 + 30);                        // is_global, port_num
  if (modify_qp(q.qp, a, 1 | 128 | 256 | 1048576 | 4096 | 131072 | 32768)) die('modify RTR');
  a = Buffer.alloc(144);
  a.writeUInt32LE(3, 0); a.writeUInt8(14, 130); a.writeUInt8(7, 131); a.writeUInt8(7, 132); a.writeUInt32LE(0, 24); a.writeUInt8(1, 126);
  if (modify_qp(q.qp, a, 1 | 512 | 1024 | 2048 | 65536 | 8192)) die('modify RTS');
}
connect(qa, qb.qpn); connect(qb, qa.qpn);
const postSend = koffi.decode(ctx, 8 + 200, 'void *'), pollCq = koffi.decode(ctx, 8 + 88, 'void *');

const scratch = mmap(null, 4096, 3, 0x22, -1, 0n); // sge @0, wr @64, bad @192, wc @256
const S = new DataView(koffi.view(scratch, 4096));
function rdma(opcode, local, mrL, remote, mrR, len) {
  new Uint8Array(S.buffer).fill(0);
  S.setBigUint64(0, local, true); S.setUint32(8, len, true); S.setUint32(12, lkey(mrL), true);      // ibv_sge
  S.setBigUint64(64, 42n, true); S.setBigUint64(64 + 16, scratch, true); S.setInt32(64 + 24, 1, true); // wr_id, sg_list, num_sge
  S.setUint32(64 + 28, opcode, true); S.setUint32(64 + 32, 2, true);                                  // opcode, IBV_SEND_SIGNALED
  S.setBigUint64(64 + 40, remote, true); S.setUint32(64 + 48, rkey(mrR), true);                       // wr.rdma.remote_addr/rkey
  const r = koffi.call(postSend, PostSend, qa.qp, scratch + 64n, scratch + 192n); if (r) die('post_send ' + r);
  const s = performance.now();
  while (koffi.call(pollCq, PollCq, cq, 1, scratch + 256n) === 0) if (performance.now() - s > 10000) die('poll timeout');
  return { status: S.getUint32(256 + 8, true), opcode: S.getUint32(256 + 12, true), wr_id: S.getBigUint64(256, true) };
}
const msg = Buffer.from('hello from Node.js over Soft-RoCE RDMA WRITE');
msg.copy(A);
let wc = rdma(0 /* IBV_WR_RDMA_WRITE */, bufA, mrA, bufB, mrB, msg.length);
console.log(`RDMA WRITE completion status=${wc.status} wr_id=${wc.wr_id}; B now holds: '${Buffer.from(B.subarray(0, msg.length)).toString()}'`);
B.set(Buffer.from('READ-BACK'), 0); A.fill(0);
wc = rdma(4 /* IBV_WR_RDMA_READ */, bufA, mrA, bufB, mrB, msg.length);
console.log(`RDMA READ  completion status=${wc.status}; A now holds: '${Buffer.from(A.subarray(0, msg.length)).toString()}'`);
console.log(`total ${(performance.now() - t0).toFixed(0)} ms`);
process.exit(wc.status === 0 && A[0] === 'R'.charCodeAt(0) ? 0 : 1);
