/** Host side of the transport tests: connecting a queue pair, recording its events, building controller PDUs. */
import { decodeCqe, encodeCqe, type Cqe, type CqeInit } from '../../../src/spec/cqe.js';
import { encodeSqe, type SqeInit } from '../../../src/spec/sqe.js';
import {
  encodeC2HData,
  encodeCapsuleResp,
  encodeDataDigest,
  encodeIcResp,
  encodeR2T,
  encodeTermReq,
  pduFormat,
  PduType,
  type IcRespInit,
  type PduFormat,
} from '../../../src/spec/tcp/index.js';
import type { QpairConnectOptions, QpairEvents, TransportQpair } from '../../../src/transport/transport.js';
import { tcpTransport } from '../../../src/transport/tcp/index.js';
import { parseTransportId } from '../../../src/nvme-driver/transport-id.js';

/** Connects one queue pair to 127.0.0.1:`port` through the registered transport's controller. */
export function connectQpair(port: number, opts: Partial<QpairConnectOptions> = {}, host = '127.0.0.1'): Promise<TransportQpair> {
  const trid = parseTransportId(`trtype:TCP traddr:${host} trsvcid:${port} subnqn:nqn.test`);
  return tcpTransport.createController(trid).connectQpair({
    qid: 1,
    qsize: 32,
    headerDigest: false,
    dataDigest: false,
    connectTimeoutMs: 5000,
    ...opts,
  });
}

/** Records what a queue pair reports; `command` submits and resolves with the completion. */
export class HostEvents implements QpairEvents {
  readonly completions: Cqe[] = [];
  readonly fatals: Error[] = [];
  private readonly waiting = new Map<number, { resolve: (c: Cqe) => void; reject: (e: Error) => void }>();
  private fatalWaiters: Array<(e: Error) => void> = [];

  constructor(readonly qp: TransportQpair) {
    qp.events = this;
  }

  onCompletion(cqe: Buffer, offset: number): void {
    const c = decodeCqe(cqe, offset);
    this.completions.push(c);
    const w = this.waiting.get(c.cid);
    this.waiting.delete(c.cid);
    w?.resolve(c);
  }

  onFatal(err: Error): void {
    this.fatals.push(err);
    for (const w of this.waiting.values()) w.reject(err);
    this.waiting.clear();
    for (const w of this.fatalWaiters.splice(0)) w(err);
  }

  /** Submits `sqe` with `data`; resolves with its CQE, rejects with the fatal error. */
  command(sqe: SqeInit | Buffer, data: Buffer | null = null): Promise<Cqe> {
    const buf = Buffer.isBuffer(sqe) ? Buffer.from(sqe) : encodeSqe(sqe);
    const cid = buf.readUInt16LE(2);
    const p = new Promise<Cqe>((resolve, reject) => this.waiting.set(cid, { resolve, reject }));
    this.qp.submit(buf, data);
    return p;
  }

  /** The first fatal error (now or later). */
  fatal(): Promise<Error> {
    if (this.fatals.length > 0) return Promise.resolve(this.fatals[0]!);
    return new Promise((resolve) => this.fatalWaiters.push(resolve));
  }
}

/** Controller PDUs, built with the codec's encoders. */
export class CtrlPdus {
  readonly fmt: PduFormat;
  private readonly scratch = Buffer.alloc(2 << 20);

  constructor(hdgst = false, ddgst = false) {
    this.fmt = pduFormat(hdgst, ddgst);
  }

  icResp(init: Partial<IcRespInit> = {}): Buffer {
    return this.take(encodeIcResp(this.scratch, 0, { hdgst: this.fmt.hdgst, ddgst: this.fmt.ddgst, maxh2cdata: 131072, ...init }));
  }

  capsuleResp(cqe: CqeInit): Buffer {
    return this.take(encodeCapsuleResp(this.scratch, 0, this.fmt, encodeCqe({ sqid: 1, ...cqe }), 0));
  }

  c2hData(cccid: number, datao: number, data: Buffer, last = true, success = false): Buffer {
    let n = encodeC2HData(this.scratch, 0, this.fmt, cccid, datao, data.length, last, success);
    n += data.copy(this.scratch, n);
    if (this.fmt.ddgst) n += encodeDataDigest(this.scratch, n, data, 0, data.length);
    return this.take(n);
  }

  r2t(cccid: number, ttag: number, r2to: number, r2tl: number): Buffer {
    return this.take(encodeR2T(this.scratch, 0, this.fmt, cccid, ttag, r2to, r2tl));
  }

  termReq(fes: number, fei: number, offending = Buffer.alloc(0)): Buffer {
    return this.take(encodeTermReq(this.scratch, 0, PduType.C2H_TERM_REQ, fes, fei, offending));
  }

  private take(n: number): Buffer {
    return Buffer.from(this.scratch.subarray(0, n));
  }
}

/** Deterministic bytes (mulberry32). */
export function randomBytes(n: number, seed: number): Buffer {
  let a = seed >>> 0;
  const out = Buffer.alloc(n);
  for (let i = 0; i < n; i++) {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    out[i] = (t ^ (t >>> 14)) & 0xff;
  }
  return out;
}

export const OPC_WRITE = 0x01;
export const OPC_READ = 0x02;
export const OPC_FLUSH = 0x00;
