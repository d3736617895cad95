import { connect } from 'node:net';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { TransportError } from '../../../src/spec/errors.js';
import { encodeDisconnectSqe, encodePropertySetSqe } from '../../../src/spec/fabrics.js';
import { encodeCc, Register } from '../../../src/spec/registers.js';
import { TcpListener } from '../../../src/target/transport/tcp/index.js';
import { NvmfTarget } from '../../../src/target/target.js';
import { RawHost, SUBNQN, openController } from './raw-host.js';
import { HAS_IPV6_LOOPBACK, startTarget, type Fixture } from './fixture.js';

function refused(port: number, host = '127.0.0.1'): Promise<string> {
  return new Promise((resolve) => {
    const s = connect({ port, host });
    s.once('connect', () => {
      s.destroy();
      resolve('connected');
    });
    s.once('error', (err: NodeJS.ErrnoException) => resolve(err.code ?? 'error'));
  });
}

describe('TcpListener lifecycle', () => {
  let fx: Fixture | null = null;
  afterEach(async () => {
    await fx?.stop();
    fx = null;
  });

  it('binds port 0 to a free port and registers the bound address with the target', async () => {
    fx = await startTarget();
    expect(fx.port).toBeGreaterThan(0);
    const expected = { trtype: 'TCP', adrfam: 'IPv4', traddr: '127.0.0.1', trsvcid: String(fx.port) };
    expect(fx.listener.addresses).toEqual([expected]);
    expect(fx.target.listeners).toEqual([{ ...expected, portid: 0 }]);
    const second = await fx.listener.listen('tcp://127.0.0.1:0');
    expect(second.trsvcid).not.toBe(String(fx.port));
    expect(fx.target.listeners.map((l) => l.trsvcid)).toEqual([String(fx.port), second.trsvcid]);
  });

  it.skipIf(!HAS_IPV6_LOOPBACK)('listens on IPv6 loopback', async () => {
    fx = await startTarget({}, 'tcp://[::1]:0');
    expect(fx.listener.addresses[0]).toMatchObject({ adrfam: 'IPv6', traddr: '::1' });
    const { admin, io } = await openControllerAt(fx.port, '::1');
    expect((await io.run(RawHost.ioSqe(0x02, 1, 0, 1), { readLength: 512 })).status).toBe('0/0x00');
    admin.close();
    io.close();
  });

  it('reports a port in use as a TransportError with EADDRINUSE', async () => {
    fx = await startTarget();
    const other = new TcpListener(new NvmfTarget());
    const err = await other.listen(`tcp://127.0.0.1:${fx.port}`).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TransportError);
    expect(err).toMatchObject({ code: 'EADDRINUSE' });
    expect((err as Error).message).toContain(`tcp://127.0.0.1:${fx.port}`);
    await other.close();
  });

  it('close() stops accepting, closes every connection and unregisters its addresses', async () => {
    fx = await startTarget();
    const { admin, io } = await openController(fx.port);
    const idle = await RawHost.connect(fx.port);
    expect(fx.listener.connectionCount).toBe(3);
    await fx.listener.close();
    await Promise.all([admin.ended, io.ended, idle.ended]);
    expect(fx.listener.connectionCount).toBe(0);
    expect(fx.target.listeners).toEqual([]);
    expect(await refused(fx.port)).toBe('ECONNREFUSED');
    await expect(fx.listener.listen('tcp://127.0.0.1:0')).rejects.toThrow(TransportError);
  });

  it('stopListening() closes one address and ends the associations that came in through it', async () => {
    fx = await startTarget();
    const other = await fx.listener.listen('tcp://127.0.0.1:0');
    const kept = await openController(Number(other.trsvcid));
    const { admin, io } = await openController(fx.port);
    expect(await fx.listener.stopListening(`tcp://127.0.0.1:${fx.port}`)).toBe(true);
    expect(await fx.listener.stopListening(`tcp://127.0.0.1:${fx.port}`)).toBe(false);
    await Promise.all([admin.ended, io.ended]);
    expect(await refused(fx.port)).toBe('ECONNREFUSED');
    expect(fx.listener.addresses).toEqual([other]);
    expect(fx.target.listeners.map((l) => l.trsvcid)).toEqual([other.trsvcid]);
    expect((await kept.io.run(RawHost.ioSqe(0x02, 1, 0, 1), { readLength: 512 })).status).toBe('0/0x00');
    kept.admin.close();
    kept.io.close();
  });

  it('a Disconnect on an I/O queue is answered, then the target closes that connection', async () => {
    fx = await startTarget();
    const { admin, io } = await openController(fx.port);
    const r = await io.run(encodeDisconnectSqe(Buffer.alloc(64), { cid: 5 }));
    expect(r.status).toBe('0/0x00');
    await io.ended;
    expect((await admin.run(encodePropertySetSqe(Buffer.alloc(64), { cid: 6, offset: Register.CC, size: 4, value: 0n }))).status).toBe(
      '0/0x00',
    );
    admin.close();
  });

  it('a controller reset (CC.EN cleared) makes the target drop the I/O connection', async () => {
    fx = await startTarget();
    const { admin, io } = await openController(fx.port);
    const cc = BigInt(encodeCc({ en: false, iosqes: 6, iocqes: 4 }));
    expect((await admin.run(encodePropertySetSqe(Buffer.alloc(64), { cid: 7, offset: Register.CC, size: 4, value: cc }))).status).toBe(
      '0/0x00',
    );
    await io.ended;
    expect(admin.closed).toBe(false);
    admin.close();
  });

  it('closing the admin connection ends the association and the I/O connection with it', async () => {
    fx = await startTarget();
    const { admin, io, cntlid } = await openController(fx.port);
    admin.close();
    await io.ended;
    await vi.waitFor(() => expect(fx!.target.getSubsystem(SUBNQN)!.controllers.has(cntlid)).toBe(false));
  });

  it('a connection that never sends ICReq holds no queue pair and goes when closed', async () => {
    fx = await startTarget();
    const idle = await RawHost.connect(fx.port);
    await vi.waitFor(() => expect(fx!.listener.connectionCount).toBe(1));
    idle.close();
    await vi.waitFor(() => expect(fx!.listener.connectionCount).toBe(0));
    expect(idle.received).toEqual([]);
    expect(fx.logs.filter((l) => l.includes('qpair'))).toEqual([]);
  });
});

async function openControllerAt(port: number, host: string): Promise<{ admin: RawHost; io: RawHost }> {
  const admin = await RawHost.start(port, {}, host);
  const c = await admin.connectQueue(0);
  const cntlid = c.cqe!.cdw0 & 0xffff;
  await admin.enable();
  const io = await RawHost.start(port, {}, host);
  const ioc = await io.connectQueue(1, cntlid);
  expect(ioc.status).toBe('0/0x00');
  return { admin, io };
}
