/**
 * Reading into reused buffers: the receiver keeps nothing of a pushed chunk
 * past `push`, ReadBuffers rotates while commands hold views, and in-capsule
 * writes that a slow device still holds survive the reads that follow.
 */
import { Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { TransportError } from '../../../src/spec/errors.js';
import { IoOpcode } from '../../../src/spec/opcodes.js';
import { SqeOffset } from '../../../src/spec/sqe.js';
import { PduReceiver, PduType, pduFormat } from '../../../src/spec/tcp/index.js';
import type { BdevCallback, BlockDevice } from '../../../src/target/bdev/block-device.js';
import { MallocBlockDevice } from '../../../src/target/bdev/malloc.js';
import { NvmfTarget } from '../../../src/target/target.js';
import { TcpListener } from '../../../src/target/transport/tcp/index.js';
import { withReadBuffer } from '../../../src/target/transport/tcp/read-buffer-socket.js';
import { ReadBuffers } from '../../../src/target/transport/tcp/read-buffers.js';
import { mulberry32 } from '../../helpers/prng.js';
import { capsuleCmd, h2cData, icReq, pattern } from '../tcp-pdu/build.js';
import { RawHost, SUBNQN, openController } from './raw-host.js';

describe('ReadBuffers', () => {
  it('keeps reading into one buffer until a command pins it, then into another', () => {
    const reads = new ReadBuffers(1024);
    const first = reads.next();
    expect(reads.next()).toBe(first);
    const view = first.subarray(100, 200);
    const pinned = reads.pinIfView(view);
    expect(pinned).toBe(reads.current);
    const second = reads.next();
    expect(second).not.toBe(first);
    expect(second.length).toBe(1024);
    reads.unpin(pinned!);
    expect(reads.spareCount).toBe(1);
    expect(reads.next()).toBe(second);
    reads.pinIfView(second.subarray(0, 10));
    expect(reads.next()).toBe(first);
  });

  it('pins nothing for data that is not a view of the current buffer (a straddling copy)', () => {
    const reads = new ReadBuffers(1024);
    const current = reads.next();
    expect(reads.pinIfView(Buffer.from(current.subarray(0, 10)))).toBeNull();
    expect(reads.next()).toBe(current);
  });

  it('stays on the buffer a command pinned and released within the same read', () => {
    const reads = new ReadBuffers(1024);
    const current = reads.next();
    reads.unpin(reads.pinIfView(current.subarray(0, 8))!);
    expect(reads.next()).toBe(current);
    expect(reads.spareCount).toBe(0);
  });
});

describe('withReadBuffer', () => {
  it('refuses a socket without a connection, naming why', () => {
    const closed = new Socket();
    expect(() => withReadBuffer(closed, () => Buffer.alloc(16), () => true)).toThrow(TransportError);
    expect(() => withReadBuffer(closed, () => Buffer.alloc(16), () => true)).toThrow(/closed before it could be served/);
  });
});

describe('PduReceiver fed through one reused buffer', () => {
  const fmt = pduFormat(true, true);
  const capsules = Array.from({ length: 12 }, (_, i) => pattern(512 + 97 * i, i + 1));
  const h2c = pattern(20000, 77);
  const stream = Buffer.concat([
    icReq(true, true),
    ...capsules.flatMap((data, i) => [capsuleCmd(fmt, i, data), i === 5 ? h2cData(fmt, 99, 3, 0, h2c.subarray(0, 12000), false) : Buffer.alloc(0)]),
    h2cData(fmt, 99, 3, 12000, h2c.subarray(12000), true),
  ]);

  for (const maxChunk of [1, 7, 300, 5000, 65536]) {
    it(`delivers every capsule's data and places H2CData intact when the chunk is overwritten after each push (chunks up to ${maxChunk})`, () => {
      const got = new Map<number, Buffer>();
      const placed = Buffer.alloc(h2c.length);
      const errors: Error[] = [];
      const rx: PduReceiver = new PduReceiver({
        role: 'controller',
        maxDataLength: 65536,
        handler: {
          onDataPdu: (hdr, place) => {
            if (hdr.type === PduType.H2C_DATA) place.receiveInto(placed, hdr.datao);
          },
          onPdu: (hdr, data) => {
            if (hdr.type === PduType.IC_REQ) rx.setDigests(true, true);
            // Copied at once: a view of the chunk is only valid during the callback.
            if (hdr.type === PduType.CAPSULE_CMD) got.set(hdr.sqe.readUInt16LE(SqeOffset.CID), Buffer.from(data!));
          },
          onDataDigestError: (_hdr, err) => errors.push(err),
          onError: (err) => errors.push(err),
        },
      });
      const shared = Buffer.alloc(Math.min(maxChunk, stream.length));
      const rand = mulberry32(maxChunk);
      for (let pos = 0; pos < stream.length; ) {
        const n = Math.min(1 + Math.floor(rand() * maxChunk), shared.length, stream.length - pos);
        stream.copy(shared, 0, pos, pos + n);
        rx.push(shared, n);
        shared.fill(0xa5);
        pos += n;
      }
      expect(errors).toEqual([]);
      expect(rx.atPduBoundary).toBe(true);
      expect([...got.keys()]).toEqual(capsules.map((_, i) => i));
      capsules.forEach((data, i) => expect(got.get(i)!.equals(data)).toBe(true));
      expect(placed.equals(h2c)).toBe(true);
    });
  }

  it('reads only the first `length` bytes of the chunk it is given', () => {
    const pdus: number[] = [];
    const rx = new PduReceiver({
      role: 'controller',
      maxDataLength: 65536,
      handler: { onPdu: (hdr) => pdus.push(hdr.type), onError: (err) => pdus.push(-1, err.message.length) },
    });
    const ic = icReq(false, false);
    const buf = Buffer.concat([ic, Buffer.alloc(64, 0xff)]);
    rx.push(buf, ic.length);
    expect(pdus).toEqual([PduType.IC_REQ]);
    expect(rx.atPduBoundary).toBe(true);
  });
});

/** `base`, except that a write reads its data only after `ms`, as a file device does from libuv's threads. */
function lateWrites(base: MallocBlockDevice, ms: number): BlockDevice {
  const late: Partial<BlockDevice> = {
    write: (lba: number, data: Buffer, cb: BdevCallback) => setTimeout(() => base.write(lba, data, cb), ms),
  };
  return Object.assign(Object.create(base) as BlockDevice, late);
}

describe('TcpConnection: in-capsule writes held by a slow device', () => {
  let stop: (() => Promise<void>) | null = null;
  afterEach(async () => {
    await stop?.();
    stop = null;
  });

  it('keeps each write its own data while later reads arrive, whole or split across reads', async () => {
    const target = new NvmfTarget();
    const subsystem = target.createSubsystem({ nqn: SUBNQN, allowAnyHost: true });
    const base = new MallocBlockDevice({ name: 'Malloc0', numBlocks: 8192, blockSize: 512 });
    subsystem.addNamespace(lateWrites(base, 20));
    const listener = new TcpListener(target);
    const port = Number((await listener.listen('tcp://127.0.0.1:0')).trsvcid);
    stop = async () => {
      await listener.close();
      target.close();
    };
    const { admin, io } = await openController(port);
    const count = 24;
    const writes = Array.from({ length: count }, (_, i) => pattern(4096, i + 3));
    for (let i = 0; i < count; i++) {
      const sqe = RawHost.ioSqe(IoOpcode.WRITE, 1, i * 8, 8);
      sqe.writeUInt16LE(200 + i, SqeOffset.CID);
      const pdu = io.capsule(sqe, { inCapsule: writes[i]! });
      if (i % 3 === 2) {
        // Split inside the data, so one read ends mid-capsule.
        io.write(pdu.subarray(0, 1000));
        await new Promise((resolve) => setTimeout(resolve, 2));
        io.write(pdu.subarray(1000));
      } else {
        io.write(pdu);
      }
      await new Promise((resolve) => setTimeout(resolve, 2));
    }
    for (let i = 0; i < count; i++) {
      const p = await io.next();
      expect(p.type).toBe(PduType.CAPSULE_RESP);
      expect(p.cqe!.sc).toBe(0);
    }
    for (let i = 0; i < count; i++) {
      const r = await io.run(RawHost.ioSqe(IoOpcode.READ, 1, i * 8, 8), { readLength: 4096 });
      expect(r.data.equals(writes[i]!)).toBe(true);
    }
    admin.close();
    io.close();
  });
});
