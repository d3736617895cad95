/**
 * A misbehaving controller: every broken or out-of-place PDU fails the
 * queue pair once with a typed error (ProtocolError with the FES for
 * protocol faults, TransportError for the socket), fails the pending command
 * with it, answers our own findings with an H2CTermReq carrying the right FES
 * and FEI, closes the socket, and leaves other connections alone.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ProtocolError, TransportError } from '../../../src/spec/errors.js';
import { crc32c, Fes, PduType } from '../../../src/spec/tcp/index.js';
import type { TransportQpair } from '../../../src/transport/transport.js';
import { FakeTarget, type FakeConnection, type HostPdu } from './fake-target.js';
import { connectQpair, CtrlPdus, HostEvents, OPC_READ, OPC_WRITE, randomBytes } from './host.js';
import { serveMemory } from './memory-target.js';

const LENGTH = 4096;
const CID = 3;

interface BadCase {
  name: string;
  /** The command the host has outstanding when the controller misbehaves. */
  command: 'read' | 'write';
  digests?: boolean;
  respond: (c: FakeConnection, pdus: CtrlPdus) => void;
  expect:
    | { error: 'protocol'; field: string; fes: number; termReq: { fes: number; fei: number } | null }
    | { error: 'transport'; code: string; message: RegExp };
}

function header(type: number, hlen: number, plen: number): Buffer {
  const b = Buffer.alloc(hlen);
  b[0] = type;
  b[2] = hlen;
  b.writeUInt32LE(plen, 4);
  return b;
}

const data = randomBytes(LENGTH, 1);
const protocol = (field: string, fes: number, fei: number | null, termReq = true) =>
  ({ error: 'protocol', field, fes, termReq: termReq ? { fes, fei: fei ?? 0 } : null }) as const;

const CASES: BadCase[] = [
  {
    name: 'a truncated PDU, then the connection closes',
    command: 'read',
    respond: (c, p) => {
      c.send(p.capsuleResp({ cid: CID }).subarray(0, 10));
      c.socket.end();
    },
    expect: { error: 'transport', code: 'ECONNRESET', message: /closed by the controller in the middle of a PDU/ },
  },
  {
    name: 'a connection reset',
    command: 'read',
    respond: (c) => c.socket.resetAndDestroy(),
    expect: { error: 'transport', code: 'ECONNRESET', message: /ECONNRESET/ },
  },
  {
    name: 'a huge PLEN',
    command: 'read',
    respond: (c, p) => {
      const pdu = p.c2hData(CID, 0, data);
      pdu.writeUInt32LE(0xfffffff0, 4);
      c.send(pdu.subarray(0, 24));
    },
    expect: protocol('plen', Fes.DATA_TRANSFER_LIMIT_EXCEEDED, null),
  },
  {
    name: 'a PDU type only a host sends (CapsuleCmd)',
    command: 'read',
    respond: (c) => c.send(header(PduType.CAPSULE_CMD, 72, 72)),
    expect: protocol('pdu-type', Fes.INVALID_PDU_HEADER_FIELD, 0),
  },
  {
    name: 'an undefined PDU type',
    command: 'read',
    respond: (c) => c.send(header(0x0f, 24, 24)),
    expect: protocol('pdu-type', Fes.INVALID_PDU_HEADER_FIELD, 0),
  },
  {
    name: 'a bad header digest',
    command: 'read',
    digests: true,
    respond: (c, p) => {
      const pdu = p.capsuleResp({ cid: CID });
      pdu.writeUInt32LE(crc32c(pdu, 0, 24) ^ 1, 24);
      c.send(pdu);
    },
    expect: protocol('hdgst', Fes.HEADER_DIGEST_ERROR, null),
  },
  {
    name: 'a second ICResp (out of sequence)',
    command: 'read',
    respond: (c, p) => c.send(p.icResp()),
    expect: protocol('pdu-type', Fes.PDU_SEQUENCE_ERROR, null),
  },
  {
    name: 'a C2HTermReq',
    command: 'read',
    respond: (c, p) => c.send(p.termReq(Fes.DATA_TRANSFER_OUT_OF_RANGE, 0, Buffer.alloc(72, 4))),
    expect: protocol('fes', Fes.DATA_TRANSFER_OUT_OF_RANGE, null, false),
  },
  {
    name: 'a CapsuleResp for a CID that is not outstanding',
    command: 'read',
    respond: (c, p) => c.send(p.capsuleResp({ cid: CID + 1 })),
    expect: protocol('cid', Fes.INVALID_PDU_HEADER_FIELD, 20),
  },
  {
    name: 'C2HData for a CID that is not outstanding',
    command: 'read',
    respond: (c, p) => c.send(p.c2hData(CID + 1, 0, data)),
    expect: protocol('cccid', Fes.INVALID_PDU_HEADER_FIELD, 8),
  },
  {
    name: 'C2HData for a write',
    command: 'write',
    respond: (c, p) => c.send(p.c2hData(CID, 0, data)),
    expect: protocol('cccid', Fes.INVALID_PDU_HEADER_FIELD, 8),
  },
  {
    name: 'C2HData beyond the read buffer',
    command: 'read',
    respond: (c, p) => c.send(p.c2hData(CID, 0, Buffer.alloc(LENGTH * 2))),
    expect: protocol('datal', Fes.DATA_TRANSFER_OUT_OF_RANGE, null),
  },
  {
    name: 'C2HData out of order (a gap at the start)',
    command: 'read',
    respond: (c, p) => c.send(p.c2hData(CID, 512, data.subarray(512))),
    expect: protocol('datao', Fes.INVALID_PDU_HEADER_FIELD, 12),
  },
  {
    name: 'LAST_PDU before all read data arrived',
    command: 'read',
    respond: (c, p) => c.send(p.c2hData(CID, 0, data.subarray(0, 2048), true)),
    expect: protocol('flags', Fes.INVALID_PDU_HEADER_FIELD, 1),
  },
  {
    name: 'SUCCESS without LAST_PDU',
    command: 'read',
    respond: (c, p) => {
      const pdu = p.c2hData(CID, 0, data, false);
      pdu[1] = pdu[1]! | 0x08;
      c.send(pdu);
    },
    expect: protocol('flags', Fes.INVALID_PDU_HEADER_FIELD, 1),
  },
  {
    name: 'a successful CapsuleResp for a read with data missing (short read)',
    command: 'read',
    respond: (c, p) => c.send(p.c2hData(CID, 0, data.subarray(0, 2048), false), p.capsuleResp({ cid: CID })),
    expect: protocol('cid', Fes.PDU_SEQUENCE_ERROR, null),
  },
  {
    name: 'an R2T for a read',
    command: 'read',
    respond: (c, p) => c.send(p.r2t(CID, 1, 0, LENGTH)),
    expect: protocol('cccid', Fes.INVALID_PDU_HEADER_FIELD, 8),
  },
  {
    name: 'an R2T for an unknown CID',
    command: 'write',
    respond: (c, p) => c.send(p.r2t(CID + 7, 1, 0, LENGTH)),
    expect: protocol('cccid', Fes.INVALID_PDU_HEADER_FIELD, 8),
  },
  {
    name: 'an R2T beyond the data length',
    command: 'write',
    respond: (c, p) => c.send(p.r2t(CID, 1, 0, LENGTH + 512)),
    expect: protocol('r2tl', Fes.DATA_TRANSFER_OUT_OF_RANGE, null),
  },
  {
    name: 'an R2T of zero bytes',
    command: 'write',
    respond: (c, p) => c.send(p.r2t(CID, 1, 0, 0)),
    expect: protocol('r2tl', Fes.DATA_TRANSFER_OUT_OF_RANGE, null),
  },
  {
    name: 'an R2T that skips data not yet sent',
    command: 'write',
    respond: (c, p) => c.send(p.r2t(CID, 1, 512, 512)),
    expect: protocol('r2to', Fes.INVALID_PDU_HEADER_FIELD, 12),
  },
];

describe('a misbehaving controller', () => {
  const blocks = new Map<number, Buffer>();
  let healthy: FakeTarget;
  let bystander: HostEvents;

  beforeAll(async () => {
    healthy = await FakeTarget.start((c) => serveMemory(c, blocks));
    bystander = new HostEvents(await connectQpair(healthy.port));
  });

  afterAll(async () => {
    await bystander.qp.close();
    await healthy.close();
  });

  for (const bad of CASES) {
    it(`${bad.name} → ${bad.expect.error === 'protocol' ? `ProtocolError ${bad.expect.field}, FES ${bad.expect.fes}` : `TransportError ${bad.expect.code}`}`, async () => {
      let after: HostPdu[] = [];
      const pdus = new CtrlPdus(bad.digests ?? false, bad.digests ?? false);
      const target = await FakeTarget.start(async (c) => {
        c.offer = { hdgst: bad.digests ?? false, ddgst: bad.digests ?? false };
        await c.expect(PduType.IC_REQ);
        c.send(pdus.icResp());
        await c.expect(PduType.CAPSULE_CMD);
        bad.respond(c, pdus);
        for (let p = await c.next(); p !== null; p = await c.next()) after.push(p);
      });
      let qp: TransportQpair | null = null;
      try {
        qp = await connectQpair(target.port, {
          headerDigest: bad.digests ?? false,
          dataDigest: bad.digests ?? false,
          inCapsuleDataSize: 0,
        });
        const host = new HostEvents(qp);
        const opc = bad.command === 'read' ? OPC_READ : OPC_WRITE;
        const pending = host.command({ opc, cid: CID, nsid: 1, cdw12: LENGTH / 512 - 1 }, bad.command === 'read' ? Buffer.alloc(LENGTH) : data);
        const failed = await pending.then(
          () => null,
          (e: unknown) => e,
        );
        const err = await host.fatal();
        expect(failed).toBe(err);
        if (bad.expect.error === 'protocol') {
          expect(err).toBeInstanceOf(ProtocolError);
          expect((err as ProtocolError).field).toBe(bad.expect.field);
          expect((err as ProtocolError).fes).toBe(bad.expect.fes);
        } else {
          expect(err).toBeInstanceOf(TransportError);
          expect((err as TransportError).code).toBe(bad.expect.code);
          expect(err.message).toMatch(bad.expect.message);
        }
        await target.connections[0]!.closed;
        await target.settled();
        const termReqs = after.filter((p) => p.type === PduType.H2C_TERM_REQ);
        const want = bad.expect.error === 'protocol' ? bad.expect.termReq : null;
        expect(termReqs.map((p) => ({ fes: p.fes, fei: p.fei }))).toEqual(want === null ? [] : [want]);
        expect(after.length).toBe(termReqs.length);
        expect(host.fatals.length).toBe(1);
      } finally {
        await qp?.close();
        await target.close();
      }
      // The other connection did not notice.
      const check = randomBytes(1024, bad.name.length);
      await bystander.command({ opc: OPC_WRITE, cid: 1, nsid: 1, cdw10: 7, cdw12: 1 }, check);
      const back = Buffer.alloc(1024);
      await bystander.command({ opc: OPC_READ, cid: 1, nsid: 1, cdw10: 7, cdw12: 1 }, back);
      expect(back.equals(check)).toBe(true);
      expect(bystander.fatals).toEqual([]);
    });
  }
});
