/**
 * Our host (driver + NVMe/TCP transport) against the bundled target over
 * loopback: connect, identify, a first I/O, detach; with and without digests.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect, TransportError } from '../../src/index.js';
import { startLoopbackTarget, SUBNQN, type LoopbackTarget } from './tcp-loopback-target.js';

let target: LoopbackTarget;

beforeAll(async () => {
  target = await startLoopbackTarget();
});

afterAll(async () => {
  await target.close();
});

describe('NVMe/TCP host against the bundled target', () => {
  for (const digests of [false, true]) {
    it(`connects, identifies and does I/O ${digests ? 'with header and data digests' : 'without digests'}`, async () => {
      const ctrlr = await connect(target.trid, { headerDigest: digests, dataDigest: digests, keepAliveTimeoutMs: 0 });
      try {
        expect(ctrlr.data.subnqn).toBe(SUBNQN);
        expect(ctrlr.data.mn).toBe('nvmekit loopback');
        expect(ctrlr.cntlid).toBeGreaterThan(0);
        expect(ctrlr.inCapsuleDataSize).toBe(4096);
        expect(ctrlr.namespaces.map((ns) => [ns.nsid, ns.numLbas, ns.lbaSize])).toEqual([[1, 65536, 512]]);
        const idns = await ctrlr.identifyNamespace(1);
        expect(idns.nsze).toBe(65536n);

        const qp = await ctrlr.allocIoQpair();
        const data = Buffer.alloc(4096, digests ? 0x5d : 0xd5);
        await qp.writeAsync(1, 8, 8, data);
        const back = Buffer.alloc(4096);
        await qp.readAsync(1, 8, 8, back);
        expect(back.equals(data)).toBe(true);
        await qp.free();
      } finally {
        const report = await ctrlr.detach();
        expect(report).toEqual({ shutdown: 'complete', errors: [] });
      }
    });
  }

  it('fails connect() with TransportError ECONNREFUSED naming the address when nothing listens', async () => {
    const closed = await startLoopbackTarget();
    await closed.close();
    const err = await connect(closed.trid, { connectTimeoutMs: 2000 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TransportError);
    expect((err as TransportError).code).toBe('ECONNREFUSED');
    expect((err as Error).message).toContain(`127.0.0.1:${closed.port}`);
  });
});
