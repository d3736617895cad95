/**
 * A small, well-behaved NVMe/TCP controller script for FakeTarget: 512-byte
 * blocks in memory, writes in-capsule or through R2T, reads as C2HData in
 * PDUs of `c2hPduSize` bytes, completed either Linux-style (CapsuleResp) or
 * SPDK-style (SUCCESS on the last C2HData).
 */
import { PduFlag, PduType } from '../../../src/spec/tcp/index.js';
import { decodeSgl } from '../../../src/spec/sgl.js';
import { SqeOffset } from '../../../src/spec/sqe.js';
import type { FakeConnection, HostPdu } from './fake-target.js';
import { CtrlPdus, OPC_READ, OPC_WRITE } from './host.js';

export const BLOCK_SIZE = 512;

export interface MemoryTargetOptions {
  hdgst?: boolean;
  ddgst?: boolean;
  maxh2cdata?: number;
  /** Largest C2HData PDU. */
  c2hPduSize?: number;
  /** SUCCESS flag on the last C2HData instead of a CapsuleResp. */
  c2hSuccess?: boolean;
  /** Largest R2T; a write needs several when its data is larger. */
  maxR2tLength?: number;
}

/** What a memory target saw, for assertions. */
export interface MemoryTargetLog {
  inCapsuleWrites: number;
  r2tWrites: number;
  h2cPdus: number[];
  /** SGL identifier byte of every command. */
  sglIds: number[];
}

/** Serves one connection until the host closes it. `blocks` is shared by all connections of a test. */
export async function serveMemory(
  c: FakeConnection,
  blocks: Map<number, Buffer>,
  opts: MemoryTargetOptions = {},
  log: MemoryTargetLog = { inCapsuleWrites: 0, r2tWrites: 0, h2cPdus: [], sglIds: [] },
): Promise<void> {
  c.offer = { hdgst: opts.hdgst ?? false, ddgst: opts.ddgst ?? false };
  if ((await c.next()) === null) return;
  const pdus = new CtrlPdus(c.granted.hdgst, c.granted.ddgst);
  c.send(pdus.icResp({ maxh2cdata: opts.maxh2cdata ?? 131072 }));
  const c2hPduSize = opts.c2hPduSize ?? 65536;
  const maxR2t = opts.maxR2tLength ?? 1 << 30;
  /** Commands that arrived while a write's H2CData was awaited. */
  const backlog: HostPdu[] = [];
  for (;;) {
    const cmd = backlog.shift() ?? (await c.next());
    if (cmd === null) return;
    if (cmd.type !== PduType.CAPSULE_CMD) throw new Error(`unexpected PDU type ${cmd.type}`);
    const sqe = cmd.sqe!;
    const opc = sqe[SqeOffset.OPC]!;
    const slba = Number(sqe.readBigUInt64LE(SqeOffset.CDW10));
    const nlb = (sqe.readUInt32LE(SqeOffset.CDW12) & 0xffff) + 1;
    const sgl = decodeSgl(sqe, SqeOffset.DPTR);
    log.sglIds.push(sqe[SqeOffset.DPTR + 15]!);
    if (opc === OPC_WRITE) {
      let data: Buffer;
      if (cmd.data !== null) {
        log.inCapsuleWrites++;
        data = cmd.data;
      } else {
        log.r2tWrites++;
        data = Buffer.alloc(sgl.length);
        let ttag = 1;
        for (let off = 0; off < data.length; ) {
          const len = Math.min(maxR2t, data.length - off);
          c.send(pdus.r2t(cmd.cid, ttag, off, len));
          for (let got = 0; got < len; ) {
            const h2c = await c.next();
            if (h2c === null) return;
            if (h2c.type === PduType.CAPSULE_CMD) {
              backlog.push(h2c);
              continue;
            }
            if (h2c.type !== PduType.H2C_DATA || h2c.cid !== cmd.cid || h2c.ttag !== ttag || h2c.datao !== off + got) {
              throw new Error(`unexpected PDU type ${h2c.type} cccid ${h2c.cid} ttag ${h2c.ttag} datao ${h2c.datao}`);
            }
            log.h2cPdus.push(h2c.datal);
            h2c.data!.copy(data, h2c.datao);
            got += h2c.datal;
            if (((h2c.flags & PduFlag.LAST_PDU) !== 0) !== (got === len)) throw new Error('LAST_PDU misplaced');
          }
          off += len;
          ttag++;
        }
      }
      for (let i = 0; i < nlb; i++) blocks.set(slba + i, Buffer.from(data.subarray(i * BLOCK_SIZE, (i + 1) * BLOCK_SIZE)));
      c.send(pdus.capsuleResp({ cid: cmd.cid }));
    } else if (opc === OPC_READ) {
      const data = Buffer.alloc(nlb * BLOCK_SIZE);
      for (let i = 0; i < nlb; i++) blocks.get(slba + i)?.copy(data, i * BLOCK_SIZE);
      for (let off = 0; off < data.length; off += c2hPduSize) {
        const end = Math.min(off + c2hPduSize, data.length);
        const last = end === data.length;
        c.send(pdus.c2hData(cmd.cid, off, data.subarray(off, end), last, last && (opts.c2hSuccess ?? false)));
      }
      if (!(opts.c2hSuccess ?? false)) c.send(pdus.capsuleResp({ cid: cmd.cid }));
    } else {
      c.send(pdus.capsuleResp({ cid: cmd.cid, cdw0: opc }));
    }
  }
}
