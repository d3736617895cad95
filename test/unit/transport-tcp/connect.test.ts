/**
 * Opening a TCP queue pair: the ICReq we send, every ICResp the host must
 * refuse (as Linux's host refuses them), and connection failures that must
 * surface as TransportErrors naming the address.
 */
import { createServer, type AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { ConfigError, ProtocolError, TransportError } from '../../../src/spec/errors.js';
import { Fes, PduError, PduType } from '../../../src/spec/tcp/index.js';
import { parseTransportId } from '../../../src/nvme-driver/transport-id.js';
import { tcpEndpoint, type TcpQpair } from '../../../src/transport/tcp/index.js';
import { readVector } from '../../helpers/nvme-tcp-capture.js';
import { FakeTarget, type FakeConnection, type HostPdu } from './fake-target.js';
import { connectQpair, CtrlPdus, HostEvents } from './host.js';
import { serveMemory } from './memory-target.js';

const targets: FakeTarget[] = [];
afterEach(async () => {
  await Promise.all(targets.splice(0).map((t) => t.close()));
});

async function start(script: (c: FakeConnection) => Promise<void> | void, host?: string): Promise<FakeTarget> {
  const t = await FakeTarget.start(script, host);
  targets.push(t);
  return t;
}

/** Every PDU the host sends until it closes the connection. */
async function drain(c: FakeConnection): Promise<HostPdu[]> {
  const out: HostPdu[] = [];
  for (let p = await c.next(); p !== null; p = await c.next()) out.push(p);
  return out;
}

describe('ICReq', () => {
  for (const [name, hdgst, ddgst] of [
    ['plain', false, false],
    ['digests', true, true],
  ] as const) {
    it(`is byte-identical to the Linux host's ICReq (${name})`, async () => {
      let icreq: HostPdu | null = null;
      const t = await start(async (c) => {
        icreq = await c.expect(PduType.IC_REQ);
        c.socket.destroy();
      });
      await connectQpair(t.port, { headerDigest: hdgst, dataDigest: ddgst }).catch(() => undefined);
      const linux = readVector(`nvme-tcp/linux-host-to-linux-nvmet-tcp-${name}.conn2.host-to-ctrl.bin`).subarray(0, 128);
      expect(icreq!.bytes.equals(linux)).toBe(true);
    });
  }
});

/** An ICResp from `CtrlPdus.icResp`, then `patch` applied to its bytes. */
interface IcRespCase {
  name: string;
  patch: (b: Buffer) => void;
  field: string;
  fes: number;
  fei: number;
  /** What the host asks for. */
  hdgst?: boolean;
}

const BAD_ICRESPS: IcRespCase[] = [
  { name: 'PLEN other than 128', patch: (b) => b.writeUInt32LE(132, 4), field: 'plen', fes: Fes.INVALID_PDU_HEADER_FIELD, fei: 4 },
  { name: 'HLEN other than 128', patch: (b) => (b[2] = 127), field: 'hlen', fes: Fes.INVALID_PDU_HEADER_FIELD, fei: 2 },
  { name: 'PFV other than 1.0', patch: (b) => b.writeUInt16LE(1, 8), field: 'pfv', fes: Fes.INVALID_PDU_HEADER_FIELD, fei: 8 },
  { name: 'CPDA other than 0', patch: (b) => (b[10] = 3), field: 'cpda', fes: Fes.UNSUPPORTED_PARAMETER, fei: 10 },
  { name: 'MAXH2CDATA below 4096', patch: (b) => b.writeUInt32LE(2048, 12), field: 'maxh2cdata', fes: Fes.INVALID_PDU_HEADER_FIELD, fei: 12 },
  { name: 'MAXH2CDATA not a multiple of 4', patch: (b) => b.writeUInt32LE(8190, 12), field: 'maxh2cdata', fes: Fes.INVALID_PDU_HEADER_FIELD, fei: 12 },
  { name: 'a header digest the host did not ask for', patch: (b) => (b[11] = 1), field: 'dgst', fes: Fes.INVALID_PDU_HEADER_FIELD, fei: 11 },
  { name: 'a data digest the host did not ask for', patch: (b) => (b[11] = 3), field: 'dgst', fes: Fes.INVALID_PDU_HEADER_FIELD, fei: 11, hdgst: true },
];

describe('ICResp validation', () => {
  for (const bad of BAD_ICRESPS) {
    it(`refuses ${bad.name}: ProtocolError naming ${bad.field}, H2CTermReq FES ${bad.fes} FEI ${bad.fei}`, async () => {
      let sent: HostPdu[] = [];
      const resp = new CtrlPdus().icResp();
      bad.patch(resp);
      const t = await start(async (c) => {
        await c.expect(PduType.IC_REQ);
        c.send(resp);
        sent = await drain(c);
      });
      const err = await connectQpair(t.port, { headerDigest: bad.hdgst ?? false }).then(
        () => null,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(PduError);
      expect((err as ProtocolError).field).toBe(bad.field);
      expect((err as ProtocolError).fes).toBe(bad.fes);
      await t.connections[0]!.closed;
      await t.settled();
      expect(sent.map((p) => p.type)).toEqual([PduType.H2C_TERM_REQ]);
      expect([sent[0]!.fes, sent[0]!.fei]).toEqual([bad.fes, bad.fei]);
      // The TermReq quotes the offending ICResp header.
      expect(sent[0]!.data!.equals(resp.subarray(0, sent[0]!.data!.length))).toBe(true);
    });
  }

  it('refuses a CapsuleResp before the ICResp as a PDU Sequence Error', async () => {
    let sent: HostPdu[] = [];
    const t = await start(async (c) => {
      await c.expect(PduType.IC_REQ);
      c.send(new CtrlPdus().capsuleResp({ cid: 0 }));
      sent = await drain(c);
    });
    const err = await connectQpair(t.port).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ProtocolError);
    expect((err as ProtocolError).fes).toBe(Fes.PDU_SEQUENCE_ERROR);
    await t.connections[0]!.closed;
    await t.settled();
    expect(sent.map((p) => [p.type, p.fes])).toEqual([[PduType.H2C_TERM_REQ, Fes.PDU_SEQUENCE_ERROR]]);
  });

  it('reports a C2HTermReq answering the ICReq with its FES and sends no TermReq back', async () => {
    let sent: HostPdu[] = [];
    const t = await start(async (c) => {
      await c.expect(PduType.IC_REQ);
      c.send(new CtrlPdus().termReq(Fes.UNSUPPORTED_PARAMETER, 11));
      sent = await drain(c);
    });
    const err = await connectQpair(t.port).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ProtocolError);
    expect((err as ProtocolError).fes).toBe(Fes.UNSUPPORTED_PARAMETER);
    expect((err as Error).message).toMatch(/C2HTermReq.*Unsupported Parameter, FEI 11/);
    await t.settled();
    expect(sent).toEqual([]);
  });
});

describe('connection failures', () => {
  it('turns a refused connection into TransportError ECONNREFUSED naming the address', async () => {
    const probe = createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    const port = (probe.address() as AddressInfo).port;
    await new Promise<void>((resolve) => probe.close(() => resolve()));
    const err = await connectQpair(port).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TransportError);
    expect((err as TransportError).code).toBe('ECONNREFUSED');
    expect((err as Error).message).toContain(`127.0.0.1:${port}`);
    expect((err as Error).message).toMatch(/connection refused/);
  });

  it('gives up with TransportError ETIMEDOUT when no ICResp comes', async () => {
    const t = await start(async (c) => {
      await c.expect(PduType.IC_REQ);
    });
    const err = await connectQpair(t.port, { connectTimeoutMs: 150 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TransportError);
    expect((err as TransportError).code).toBe('ETIMEDOUT');
    expect((err as Error).message).toMatch(/no ICResp within 150 ms/);
    await t.connections[0]!.closed;
  });

  it('reports a controller that hangs up before the ICResp', async () => {
    const t = await start(async (c) => {
      await c.expect(PduType.IC_REQ);
      c.socket.end();
    });
    const err = await connectQpair(t.port).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TransportError);
    expect((err as Error).message).toMatch(/closed by the controller before ICResp/);
  });

  it('connects from hostaddr when the transport ID gives one', async () => {
    let peer = '';
    const blocks = new Map<number, Buffer>();
    const t = await start((c) => {
      peer = c.socket.remoteAddress ?? '';
      return serveMemory(c, blocks);
    });
    const { tcpTransport } = await import('../../../src/transport/tcp/index.js');
    const trid = parseTransportId(`trtype:TCP traddr:127.0.0.1 trsvcid:${t.port} hostaddr:127.0.0.2`);
    const qp = await tcpTransport.createController(trid).connectQpair({
      qid: 0,
      qsize: 4,
      headerDigest: false,
      dataDigest: false,
      connectTimeoutMs: 5000,
    });
    expect(peer).toBe('127.0.0.2');
    await qp.close();
  });

  it('connects over IPv6 (::1) when the host has it', async (ctx) => {
    const blocks = new Map<number, Buffer>();
    const t = await FakeTarget.start((c) => serveMemory(c, blocks), '::1').catch(() => null);
    if (t === null) {
      ctx.skip();
      return;
    }
    targets.push(t);
    const qp = await connectQpair(t.port, {}, '::1');
    const host = new HostEvents(qp);
    const cqe = await host.command({ opc: 0, cid: 1, nsid: 1 });
    expect(cqe.cid).toBe(1);
    await qp.close();
  });

  it('rejects transport IDs it cannot connect to with ConfigError', () => {
    expect(() => tcpEndpoint({ trtype: 'TCP' })).toThrow(ConfigError);
    expect(() => tcpEndpoint({ trtype: 'TCP', traddr: '127.0.0.1', adrfam: 'IB' })).toThrow(/adrfam/);
    expect(() => tcpEndpoint({ trtype: 'TCP', traddr: '127.0.0.1', trsvcid: '70000' })).toThrow(/trsvcid/);
    expect(tcpEndpoint({ trtype: 'TCP', traddr: '::1' })).toEqual({ host: '::1', port: 4420, family: 6 });
  });
});

describe('close and late failures', () => {
  it('close() ends the connection gracefully; a submit afterwards is reported once through onFatal', async () => {
    const blocks = new Map<number, Buffer>();
    const t = await start((c) => serveMemory(c, blocks));
    const qp = await connectQpair(t.port);
    const host = new HostEvents(qp);
    await host.command({ opc: 0, cid: 1, nsid: 1 });
    await qp.close();
    await t.connections[0]!.closed;
    expect(host.fatals).toEqual([]);
    qp.submit(Buffer.alloc(64), null);
    qp.submit(Buffer.alloc(64), null);
    expect(host.fatals.length).toBe(1);
    expect(host.fatals[0]).toBeInstanceOf(TransportError);
    await t.settled();
  });

  it('reports a failure that came before the driver set `events` as soon as it does', async () => {
    const pdus = new CtrlPdus();
    const t = await start(async (c) => {
      await c.expect(PduType.IC_REQ);
      c.send(Buffer.concat([pdus.icResp(), pdus.termReq(Fes.PDU_SEQUENCE_ERROR, 0)]));
    });
    const qp = (await connectQpair(t.port)) as TcpQpair;
    const host = new HostEvents(qp);
    expect(host.fatals.length).toBe(1);
    expect((host.fatals[0] as ProtocolError).fes).toBe(Fes.PDU_SEQUENCE_ERROR);
  });

  it('sizes admin and I/O queues as asked', async () => {
    const blocks = new Map<number, Buffer>();
    const t = await start((c) => serveMemory(c, blocks));
    const admin = await connectQpair(t.port, { qid: 0, qsize: 32 });
    const io = await connectQpair(t.port, { qid: 4, qsize: 128, inCapsuleDataSize: 16384 });
    expect([admin.qid, admin.qsize, admin.inCapsuleDataSize, admin.processCompletions(0)]).toEqual([0, 32, 8192, 0]);
    expect([io.qid, io.qsize, io.inCapsuleDataSize, io.maxTransferSize]).toEqual([4, 128, 16384, 1 << 20]);
    await Promise.all([admin.close(), io.close()]);
  });
});
