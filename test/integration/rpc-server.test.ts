/**
 * The JSON-RPC socket as SPDK frames it: back-to-back objects, batches,
 * notifications, the error codes, and the socket file's life (mode 0600,
 * a live owner refused, a stale one replaced, removed on close). A bad
 * request never disturbs I/O in flight.
 */
import { lstatSync, existsSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { connect, type Socket } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { connect as connectHost } from '../../src/index.js';
import { ConfigError } from '../../src/spec/errors.js';
import { JsonRpcServer } from '../../src/target/rpc/json-rpc-server.js';
import { exportMallocSubsystem, startRpcTarget, trid, type RpcTarget } from './rpc-fixture.js';

/** A raw client: writes bytes, reads the JSON texts that come back. */
class RawClient {
  private buffered = '';
  private constructor(readonly socket: Socket) {
    socket.setEncoding('utf8');
    socket.on('data', (d: string) => (this.buffered += d));
  }
  static open(path: string): Promise<RawClient> {
    return new Promise((resolve, reject) => {
      const s = connect(path, () => resolve(new RawClient(s)));
      s.once('error', reject);
    });
  }
  /** Waits until what arrived parses as `count` values written back to back. */
  async read(count: number): Promise<unknown[]> {
    for (;;) {
      const values = splitValues(this.buffered);
      if (values && values.length >= count) {
        this.buffered = '';
        return values;
      }
      await new Promise((r) => setTimeout(r, 5));
    }
  }
  ended(): Promise<void> {
    return new Promise((resolve) => (this.socket.readableEnded ? resolve() : this.socket.once('end', resolve)));
  }
}

/** Parses concatenated JSON values with no delimiter; null when the text is incomplete. */
function splitValues(text: string): unknown[] | null {
  const out: unknown[] = [];
  let rest = text.trim();
  while (rest.length > 0) {
    let end = 0;
    for (let i = 1; i <= rest.length; i++) {
      try {
        out.push(JSON.parse(rest.slice(0, i)));
        end = i;
        break;
      } catch {
        /* not complete yet */
      }
    }
    if (end === 0) return null;
    rest = rest.slice(end).trim();
  }
  return out;
}

let t: RpcTarget;
beforeEach(async () => {
  t = await startRpcTarget();
});
afterEach(async () => {
  await t.close();
});

describe('JSON-RPC framing', () => {
  it('answers requests written back to back, and one split across writes, in order with no delimiter', async () => {
    const c = await RawClient.open(t.socketPath);
    c.socket.write('{"jsonrpc":"2.0","method":"spdk_get_version","id":1}{"jsonrpc":"2.0","method":"nvmf_get_transports","id":"two"}{"jsonrpc":"2.0",');
    c.socket.write('"method":"bdev_get_bdevs","id":3}');
    const replies = (await c.read(3)) as { id: unknown; result: unknown }[];
    expect(replies.map((r) => r.id)).toEqual([1, 'two', 3]);
    expect(replies[0]!.result).toMatchObject({ version: expect.stringMatching(/^nvmekit v\d+\.\d+\.\d+$/) });
    expect(replies[1]!.result).toEqual([]);
    expect(replies[2]!.result).toEqual([]);
    c.socket.destroy();
  });

  it('answers a batch with an array in order, leaving out notifications', async () => {
    const c = await RawClient.open(t.socketPath);
    c.socket.write(
      JSON.stringify([
        { jsonrpc: '2.0', method: 'bdev_malloc_create', params: { name: 'M0', num_blocks: 64, block_size: 512 }, id: 1 },
        { jsonrpc: '2.0', method: 'bdev_malloc_create', params: { name: 'M1', num_blocks: 64 } },
        { jsonrpc: '2.0', method: 'no_such_method', id: 2 },
        7,
      ]),
    );
    const [batch] = (await c.read(1)) as { id: unknown; result?: unknown; error?: { code: number } }[][];
    expect(batch).toEqual([
      { jsonrpc: '2.0', id: 1, result: 'M0' },
      { jsonrpc: '2.0', id: 2, error: { code: -32601, message: 'Method not found: no_such_method' } },
      { jsonrpc: '2.0', id: null, error: { code: -32600, message: 'Invalid request: expected an object' } },
    ]);
    // The notification ran: M1 exists.
    expect(((await t.call('bdev_get_bdevs')) as { name: string }[]).map((b) => b.name)).toEqual(['M0', 'M1']);
    c.socket.write('[]');
    expect(await c.read(1)).toEqual([{ jsonrpc: '2.0', id: null, error: { code: -32600, message: 'Invalid request: empty batch' } }]);
    c.socket.destroy();
  });

  it.each([
    [{ method: 'spdk_get_version', id: 1 }, -32600, 'Invalid request: jsonrpc must be "2.0"'],
    [{ jsonrpc: '2.0', id: 1 }, -32600, 'Invalid request: method must be a string'],
    [{ jsonrpc: '2.0', method: 'spdk_get_version', id: {} }, -32600, 'Invalid request: id must be a string, a number or null'],
    [{ jsonrpc: '2.0', method: 'nvmf_create_subsystem', id: 1, params: {} }, -32602, 'Invalid parameters: nqn: missing required parameter'],
    [{ jsonrpc: '2.0', method: 'framework_start_init', id: 1 }, -1, 'Method framework_start_init may only be called before the framework is initialized (--wait-for-rpc)'],
  ])('answers %j with code %i', async (request, code, message) => {
    const c = await RawClient.open(t.socketPath);
    c.socket.write(JSON.stringify(request));
    const [reply] = (await c.read(1)) as { error: { code: number; message: string } }[];
    expect(reply!.error).toEqual({ code, message });
    c.socket.destroy();
  });

  it('answers malformed JSON with -32700 and closes the connection; other connections carry on', async () => {
    const c = await RawClient.open(t.socketPath);
    c.socket.write('{"jsonrpc":"2.0","method":"spdk_get_version","id":1}{"jsonrpc": 2.0.1}');
    const replies = (await c.read(2)) as { id: unknown; error?: { code: number } }[];
    expect(replies[0]).toMatchObject({ id: 1 });
    expect(replies[1]).toMatchObject({ id: null, error: { code: -32700 } });
    await c.ended();
    const garbage = await RawClient.open(t.socketPath);
    garbage.socket.write('hello');
    expect(await garbage.read(1)).toEqual([{ jsonrpc: '2.0', id: null, error: { code: -32700, message: "Parse error: expected '{' or '[' to start a request, got 'h'" } }]);
    await garbage.ended();
    expect(await t.call('nvmf_get_transports')).toEqual([]);
  });

  it('keeps host I/O running while clients send bad requests', async () => {
    const nqn = 'nqn.2016-06.io.nvmekit:dataplane';
    const port = await exportMallocSubsystem(t, nqn);
    const ctrlr = await connectHost(trid(port, nqn));
    const qp = await ctrlr.allocIoQpair();
    const data = Buffer.alloc(4096, 0x5a);
    const ios: Promise<number>[] = [];
    for (let i = 0; i < 64; i++) ios.push(qp.writeAsync(1, i * 8, 8, data));
    const bad = await RawClient.open(t.socketPath);
    bad.socket.write('{"jsonrpc":"2.0","method":"nvmf_subsystem_add_ns","id":1,"params":{"nqn":5}}{"x":');
    bad.socket.write('}}}}');
    await Promise.all(ios);
    const back = Buffer.alloc(4096);
    await qp.readAsync(1, 63 * 8, 8, back);
    expect(back.equals(data)).toBe(true);
    bad.socket.destroy();
    await ctrlr.detach();
  });
});

describe('the socket file', () => {
  it('is created with mode 0600 and removed on close', async () => {
    expect(lstatSync(t.socketPath).mode & 0o777).toBe(0o600);
    const path = `${t.socketPath}.2`;
    const server = new JsonRpcServer(() => true);
    await server.listen(path);
    expect(existsSync(path)).toBe(true);
    await server.close();
    expect(existsSync(path)).toBe(false);
  });

  it('is refused while another target serves it, and replaced when its owner is gone', async () => {
    const other = new JsonRpcServer(() => true);
    await expect(other.listen(t.socketPath)).rejects.toThrow(new ConfigError('rpc-socket', `${t.socketPath} is in use by another running target`));
    // A socket file nobody accepts on, as a target killed with SIGKILL leaves it.
    const stale = `${t.socketPath}.stale`;
    const bound = spawnSync('python3', ['-c', 'import socket,sys; socket.socket(socket.AF_UNIX).bind(sys.argv[1])', stale]);
    expect(bound.status).toBe(0);
    expect(lstatSync(stale).isSocket()).toBe(true);
    await other.listen(stale);
    const c = await RawClient.open(stale);
    c.socket.write('{"jsonrpc":"2.0","method":"x","id":1}');
    expect(await c.read(1)).toEqual([{ jsonrpc: '2.0', id: 1, result: true }]);
    c.socket.destroy();
    await other.close();
  });

  it('is not replaced when the path is a regular file', async () => {
    const path = `${t.socketPath}.file`;
    writeFileSync(path, 'keep me');
    await expect(new JsonRpcServer(() => true).listen(path)).rejects.toThrow(/exists and is not a socket/);
  });
});
