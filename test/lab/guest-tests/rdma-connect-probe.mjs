// rdma-connect-probe.mjs -- a misbehaving NVMe/RDMA host (a helper of the lab tests, not a test on its
// own): sends rdma_cm connect requests whose private data an NVMe/RDMA controller must refuse, and checks
// that each is REJECTED with the NVMe/RDMA status (STS) that names the bad field.
//
// usage: node rdma-connect-probe.mjs ADDR PORT MAX_QID MAX_QUEUE_DEPTH
// Prints one line per request; exits 1 on the first answer that is not the expected reject.
import { CmEventType, CmIdOffset, CONN_PARAM_SIZE, ConnParamOffset, rdmacm, socketAddress } from '../../../dist/src/native/rdmacm.js';
import { IBV_QPT_RC, NativeScratch, QP_INIT_ATTR_SIZE, QpInitAttrOffset, verbs } from '../../../dist/src/native/verbs.js';
import { decodeRdmaCmReject, encodeRdmaCmRequest, RDMA_CM_REQUEST_SIZE, RdmaCmStatus } from '../../../dist/src/spec/rdma.js';

const [addr, port, maxQid, maxDepth] = process.argv.slice(2);
const MAX_QID = Number(maxQid);
const DEPTH = Number(maxDepth);
const CASES = [
  ['RECFMT 1', { recfmt: 1, qid: 1, hrqsize: 32, hsqsize: 31, cntlid: 0 }, RdmaCmStatus.INVALID_RECFMT],
  [`QID ${MAX_QID + 1}`, { recfmt: 0, qid: MAX_QID + 1, hrqsize: 32, hsqsize: 31, cntlid: 0 }, RdmaCmStatus.INVALID_QID],
  [`HSQSIZE ${DEPTH}`, { recfmt: 0, qid: 1, hrqsize: DEPTH + 1, hsqsize: DEPTH, cntlid: 0 }, RdmaCmStatus.INVALID_HSQSIZE],
  ['HRQSIZE below HSQSIZE + 1', { recfmt: 0, qid: 1, hrqsize: 16, hsqsize: 31, cntlid: 0 }, RdmaCmStatus.INVALID_HRQSIZE],
];

const cm = rdmacm();
const v = verbs();

function nextEvent(channel, deadline) {
  return new Promise((resolve, reject) => {
    const look = () => {
      const ev = cm.getEvent(channel);
      if (ev) resolve(ev);
      else if (Date.now() > deadline) reject(new Error('no rdma_cm event within 20 s'));
      else setTimeout(look, 5);
    };
    look();
  });
}

async function probe(request) {
  const channel = cm.createEventChannel();
  const id = cm.createId(channel);
  const deadline = Date.now() + 20000;
  try {
    if (cm.resolveAddr(id, socketAddress(addr, Number(port), 4), 5000) !== 0) throw new Error(`rdma_resolve_addr: ${cm.errnoName()}`);
    if ((await nextEvent(channel, deadline)).type !== CmEventType.ADDR_RESOLVED) throw new Error('address not resolved');
    if (cm.resolveRoute(id, 5000) !== 0) throw new Error(`rdma_resolve_route: ${cm.errnoName()}`);
    if ((await nextEvent(channel, deadline)).type !== CmEventType.ROUTE_RESOLVED) throw new Error('route not resolved');
    const ctx = v.koffi.decode(id, CmIdOffset.VERBS, 'void *');
    const pd = v.allocPd(ctx);
    const cq = v.createCq(ctx, 4, null, null, 0);
    const attr = Buffer.alloc(QP_INIT_ATTR_SIZE);
    attr.writeBigUInt64LE(cq, QpInitAttrOffset.SEND_CQ);
    attr.writeBigUInt64LE(cq, QpInitAttrOffset.RECV_CQ);
    for (const f of [QpInitAttrOffset.MAX_SEND_WR, QpInitAttrOffset.MAX_RECV_WR, QpInitAttrOffset.MAX_SEND_SGE, QpInitAttrOffset.MAX_RECV_SGE]) attr.writeUInt32LE(1, f);
    attr.writeUInt32LE(IBV_QPT_RC, QpInitAttrOffset.QP_TYPE);
    if (cm.createQp(id, pd, attr) !== 0) throw new Error(`rdma_create_qp: ${cm.errnoName()}`);
    const pdata = new NativeScratch(RDMA_CM_REQUEST_SIZE);
    encodeRdmaCmRequest(request, pdata.buffer);
    const param = Buffer.alloc(CONN_PARAM_SIZE);
    param.writeBigUInt64LE(pdata.address, ConnParamOffset.PRIVATE_DATA);
    param[ConnParamOffset.PRIVATE_DATA_LEN] = RDMA_CM_REQUEST_SIZE;
    param[ConnParamOffset.RESPONDER_RESOURCES] = 16;
    param[ConnParamOffset.RETRY_COUNT] = 7;
    param[ConnParamOffset.RNR_RETRY_COUNT] = 7;
    if (cm.connect(id, param) !== 0) throw new Error(`rdma_connect: ${cm.errnoName()}`);
    const ev = await nextEvent(channel, deadline);
    cm.destroyQp(id);
    v.destroyCq(cq);
    v.deallocPd(pd);
    pdata.release();
    return ev;
  } finally {
    cm.destroyId(id);
    cm.destroyEventChannel(channel);
  }
}

for (const [what, request, sts] of CASES) {
  const ev = await probe(request);
  const rej = ev.type === CmEventType.REJECTED ? decodeRdmaCmReject(ev.privateData) : null;
  const got = rej === null ? cm.eventName(ev.type) : `REJECTED with STS ${rej.sts}`;
  console.log(`${what}: ${got} (expected STS ${sts})`);
  if (rej === null || rej.sts !== sts) process.exit(1);
}
