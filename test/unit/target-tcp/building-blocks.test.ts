import { EventEmitter } from 'node:events';
import type { Socket } from 'node:net';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../../src/spec/errors.js';
import { encodeConnectSqe } from '../../../src/spec/fabrics.js';
import { encodeReadWrite } from '../../../src/spec/commands.js';
import { IoOpcode } from '../../../src/spec/opcodes.js';
import { SqeOffset } from '../../../src/spec/sqe.js';
import { PduType, crc32c, pduFormat, setCapsuleSgl } from '../../../src/spec/tcp/index.js';
import {
  DataPath,
  TransportStatus,
  describeCommandData,
  type CommandData,
} from '../../../src/target/transport/tcp/command-data.js';
import { DataBufferPool } from '../../../src/target/transport/tcp/data-buffer-pool.js';
import { formatListenUrl, parseListenUrl } from '../../../src/target/transport/listen-address.js';
import { TCP_TRANSPORT_OPTIONS, resolveTcpTransportOptions } from '../../../src/target/transport/tcp/options.js';
import { INLINE_DATA_MAX, PduSender } from '../../../src/target/transport/tcp/pdu-sender.js';

describe('transport options', () => {
  it("defaults to SPDK's nvmf TCP transport values", () => {
    expect(resolveTcpTransportOptions()).toEqual({
      maxQueueDepth: 128,
      maxAqDepth: 128,
      inCapsuleDataSize: 4096,
      maxIoSize: 131072,
      maxH2CDataSize: 131072,
      c2hSuccess: true,
    });
    expect(TCP_TRANSPORT_OPTIONS.filter((o) => o.spdk).map((o) => o.rpcName)).toEqual([
      'max_queue_depth',
      'in_capsule_data_size',
      'max_io_size',
      'max_aq_depth',
      'c2h_success',
    ]);
  });

  it('MAXH2CDATA follows max_io_size unless given', () => {
    expect(resolveTcpTransportOptions({ maxIoSize: 1 << 20 }).maxH2CDataSize).toBe(1 << 20);
    expect(resolveTcpTransportOptions({ maxIoSize: 1 << 20, maxH2CDataSize: 8192 }).maxH2CDataSize).toBe(8192);
  });

  it.each([
    [{ maxQueueDepth: 1 }, 'maxQueueDepth: expected an integer from 2 to 65536, got 1'],
    [{ maxIoSize: 100000 }, 'maxIoSize: expected a power of two, got 100000'],
    [{ inCapsuleDataSize: 1000 }, 'inCapsuleDataSize: expected a multiple of 16, got 1000'],
    [{ maxAqDepth: 2.5 }, 'maxAqDepth: expected an integer from 2 to 4096, got 2.5'],
    [{ c2hSuccess: 'yes' as unknown as boolean }, 'c2hSuccess: expected true or false, got yes'],
  ])('rejects %j', (opts, message) => {
    expect(() => resolveTcpTransportOptions(opts)).toThrow(ConfigError);
    expect(() => resolveTcpTransportOptions(opts)).toThrow(message);
  });
});

describe('listen URLs', () => {
  it.each([
    ['tcp://127.0.0.1:4420', { adrfam: 'IPv4', traddr: '127.0.0.1', trsvcid: '4420' }],
    ['tcp://[::1]:0', { adrfam: 'IPv6', traddr: '::1', trsvcid: '0' }],
    ['TCP://0.0.0.0:65535', { adrfam: 'IPv4', traddr: '0.0.0.0', trsvcid: '65535' }],
  ])('parses %s', (url, want) => {
    const addr = parseListenUrl(url);
    expect(addr).toEqual({ trtype: 'TCP', ...want });
    expect(parseListenUrl(formatListenUrl(addr))).toEqual(addr);
  });

  it.each([
    ['udp://1.2.3.4:4420', 'expected tcp://ADDR:PORT'],
    ['tcp://127.0.0.1', 'expected tcp://ADDR:PORT'],
    ['tcp://::1:4420', 'expected tcp://ADDR:PORT'],
    ['tcp://localhost:4420', "expected an IPv4 or IPv6 address, got 'localhost'"],
    ['tcp://[127.0.0.1]:4420', 'brackets are for IPv6 addresses'],
    ['tcp://127.0.0.1:70000', 'expected a port from 0 to 65535, got 70000'],
  ])('rejects %s naming the flag', (url, message) => {
    expect(() => parseListenUrl(url, '--listen')).toThrow(`--listen: ${message}`);
  });
});

describe('describeCommandData', () => {
  const limits = { inCapsuleDataSize: 4096, maxIoSize: 131072 };
  const describeSqe = (sqe: Buffer): CommandData => {
    const out: CommandData = { path: -1 as DataPath, length: -1, failure: TransportStatus.INVALID_FIELD };
    describeCommandData(sqe, limits, out);
    return out;
  };
  const rw = (opc: number, length: number, inCapsule: boolean): Buffer => {
    const sqe = encodeReadWrite(Buffer.alloc(64), { opc, nsid: 1, slba: 0, nlb: 8 });
    setCapsuleSgl(sqe, 0, length, inCapsule);
    return sqe;
  };

  it.each([
    ['read, transport SGL', rw(IoOpcode.READ, 4096, false), { path: DataPath.C2H, length: 4096, failure: null }],
    ['write, in-capsule', rw(IoOpcode.WRITE, 4096, true), { path: DataPath.IN_CAPSULE, length: 4096, failure: null }],
    ['write, transport SGL', rw(IoOpcode.WRITE, 131072, false), { path: DataPath.R2T, length: 131072, failure: null }],
    ['write, zero length', rw(IoOpcode.WRITE, 0, false), { path: DataPath.NONE, length: 0, failure: null }],
    ['flush (no data), SPDK-style zero-length in-capsule SGL', rw(IoOpcode.FLUSH, 0, true), { path: DataPath.NONE, length: 0, failure: null }],
    ['write beyond max_io_size', rw(IoOpcode.WRITE, 262144, false), { failure: TransportStatus.DATA_SGL_LENGTH_INVALID }],
    ['in-capsule beyond the limit', rw(IoOpcode.WRITE, 8192, true), { failure: TransportStatus.DATA_SGL_LENGTH_INVALID }],
    ['read with in-capsule data', rw(IoOpcode.READ, 512, true), { failure: TransportStatus.INVALID_FIELD }],
  ])('%s', (_name, sqe, want) => {
    expect(describeSqe(sqe)).toMatchObject(want);
  });

  it('takes the direction of a Fabrics command from FCTYPE: Connect moves data to the controller', () => {
    const sqe = encodeConnectSqe(Buffer.alloc(64), { cid: 1, qid: 0, sqsize: 31 });
    setCapsuleSgl(sqe, 0, 1024, true);
    expect(describeSqe(sqe)).toEqual({ path: DataPath.IN_CAPSULE, length: 1024, failure: null });
  });

  it('rejects a bidirectional opcode and an unknown descriptor', () => {
    const bidi = rw(IoOpcode.READ, 512, false);
    bidi[SqeOffset.OPC] = 0x83;
    expect(describeSqe(bidi).failure).toBe(TransportStatus.INVALID_OPCODE);
    const bitBucket = rw(IoOpcode.READ, 512, false);
    bitBucket[SqeOffset.DPTR + 15] = 0x10;
    expect(describeSqe(bitBucket).failure).toBe(TransportStatus.SGL_DESCRIPTOR_TYPE_INVALID);
  });
});

describe('DataBufferPool', () => {
  it('reuses buffers and their views, in two size classes', () => {
    const pool = new DataBufferPool(8192, 131072);
    const small = pool.acquire(1024);
    const large = pool.acquire(8193);
    expect([small.bytes.length, large.bytes.length]).toEqual([8192, 131072]);
    const view = small.viewOf(1024);
    expect(small.viewOf(1024)).toBe(view);
    expect(small.viewOf(512).length).toBe(512);
    pool.release(small);
    pool.release(large);
    expect(pool.idle).toBe(2);
    expect(pool.acquire(4096)).toBe(small);
    expect(pool.acquire(65536)).toBe(large);
    expect(pool.idle).toBe(0);
  });
});

/** Records what a PduSender hands to its socket. */
class FakeSocket extends EventEmitter {
  destroyed = false;
  writable = true;
  writableNeedDrain = false;
  readonly calls: string[] = [];
  readonly written: Buffer[] = [];
  readonly callbacks: (() => void)[] = [];
  cork(): void {
    this.calls.push('cork');
  }
  uncork(): void {
    this.calls.push('uncork');
  }
  write(chunk: Buffer, cb?: () => void): boolean {
    this.calls.push('write');
    this.written.push(chunk);
    if (cb) this.callbacks.push(cb);
    return true;
  }
  pause(): void {
    this.calls.push('pause');
  }
  resume(): void {
    this.calls.push('resume');
  }
}

describe('PduSender', () => {
  const cqe = Buffer.alloc(16);

  it('batches a turn of PDUs into one write: headers and small read data back to back, copied', async () => {
    const socket = new FakeSocket();
    const tx = new PduSender(socket as unknown as Socket);
    const data = Buffer.alloc(4096, 7);
    tx.capsuleResp(cqe);
    tx.r2t(1, 0, 0, 8192);
    tx.c2hData(2, data, 0, data.length, 0, true, false);
    tx.capsuleResp(cqe);
    data.fill(9);
    expect(socket.calls).toEqual([]);
    await new Promise((resolve) => setImmediate(resolve));
    expect(socket.calls).toEqual(['write']);
    const [all] = socket.written;
    expect(all!.length).toBe(24 + 24 + 24 + 4096 + 24);
    expect([all![0], all![24], all![48], all![72 + 4096]]).toEqual([
      PduType.CAPSULE_RESP,
      PduType.R2T,
      PduType.C2H_DATA,
      PduType.CAPSULE_RESP,
    ]);
    expect(all!.subarray(72, 72 + 4096).equals(Buffer.alloc(4096, 7))).toBe(true);
  });

  it('sends read data above INLINE_DATA_MAX as it is, between corked arena chunks', async () => {
    const socket = new FakeSocket();
    const tx = new PduSender(socket as unknown as Socket);
    const data = Buffer.alloc(INLINE_DATA_MAX + 512, 7);
    tx.capsuleResp(cqe);
    tx.c2hData(2, data, 0, data.length, 0, true, false);
    tx.capsuleResp(cqe);
    await new Promise((resolve) => setImmediate(resolve));
    expect(socket.calls).toEqual(['cork', 'write', 'write', 'write', 'uncork']);
    const [headers, payload, tail] = socket.written;
    expect(headers!.length).toBe(24 + 24);
    expect([headers![0], headers![24]]).toEqual([PduType.CAPSULE_RESP, PduType.C2H_DATA]);
    expect(payload).toBe(data);
    expect(tail![0]).toBe(PduType.CAPSULE_RESP);
  });

  it('appends the data digest behind the payload and the header digest in the header', () => {
    const data = Buffer.from('nvmekit-vector-4k-pattern-block!');
    const big = Buffer.alloc(INLINE_DATA_MAX + 4, 3);
    for (const payload of [data, big]) {
      const socket = new FakeSocket();
      const tx = new PduSender(socket as unknown as Socket);
      tx.format = pduFormat(true, true);
      tx.c2hData(3, payload, 0, payload.length, 0, true, true);
      tx.flush();
      const pdu = Buffer.concat(socket.written);
      expect(pdu.length).toBe(28 + payload.length + 4);
      expect(pdu.readUInt32LE(24)).toBe(crc32c(pdu, 0, 24));
      expect(pdu.readUInt32LE(4)).toBe(28 + payload.length + 4);
      expect(pdu.subarray(28, 28 + payload.length).equals(payload)).toBe(true);
      expect(pdu.readUInt32LE(28 + payload.length)).toBe(crc32c(payload, 0, payload.length));
    }
  });

  it('copies a part of the read data when a C2HData PDU carries a slice', () => {
    const socket = new FakeSocket();
    const tx = new PduSender(socket as unknown as Socket);
    const data = Buffer.from(Array.from({ length: 600 }, (_, i) => i & 0xff));
    tx.c2hData(4, data, 100, 300, 100, false, false);
    tx.flush();
    const [pdu] = socket.written;
    expect(pdu!.length).toBe(24 + 200);
    expect(pdu!.readUInt32LE(12)).toBe(100);
    expect(pdu!.subarray(24).equals(data.subarray(100, 300))).toBe(true);
  });

  it('continues in another arena when a turn outgrows one, in order', () => {
    const socket = new FakeSocket();
    const tx = new PduSender(socket as unknown as Socket);
    const count = 100;
    for (let i = 0; i < count; i++) tx.c2hData(i, Buffer.alloc(4096, i), 0, 4096, 0, true, true);
    tx.flush();
    expect(socket.written.length).toBeGreaterThan(1);
    const stream = Buffer.concat(socket.written);
    expect(stream.length).toBe(count * (24 + 4096));
    for (let i = 0; i < count; i++) {
      const at = i * (24 + 4096);
      expect([stream.readUInt16LE(at + 8), stream[at + 24], stream[at + 24 + 4095]]).toEqual([i, i, i]);
    }
  });

  it('reuses header arenas once the writes that carried them complete: two alternate', () => {
    const socket = new FakeSocket();
    const tx = new PduSender(socket as unknown as Socket);
    for (let i = 0; i < 4; i++) {
      tx.capsuleResp(cqe);
      tx.flush();
      socket.callbacks.shift()!();
    }
    const arenas = socket.written.map((chunk) => chunk.buffer);
    expect(arenas[0] === arenas[2] && arenas[1] === arenas[3]).toBe(true);
    expect(arenas[0] === arenas[1]).toBe(false);
  });

  it('stops reading while the socket cannot take more, and resumes on drain', () => {
    const socket = new FakeSocket();
    const tx = new PduSender(socket as unknown as Socket);
    socket.writableNeedDrain = true;
    tx.capsuleResp(cqe);
    tx.flush();
    expect(socket.calls.at(-1)).toBe('pause');
    socket.emit('drain');
    expect(socket.calls.at(-1)).toBe('resume');
  });
});
