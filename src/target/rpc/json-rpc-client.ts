/**
 * A JSON-RPC client for the target's Unix socket (what rpc.py's JSONRPCClient
 * is to SPDK): one connection, requests answered in order.
 *
 *     const rpc = await JsonRpcClient.connect('/var/tmp/nvmekit.sock');
 *     const name = await rpc.call('bdev_malloc_create', { num_blocks: 131072, block_size: 512 });
 *     rpc.close();
 */
import { connect, type Socket } from 'node:net';
import { TransportError } from '../../spec/errors.js';
import { JsonStreamSplitter } from './json-stream.js';
import { RpcError, RpcErrorCode } from './rpc-errors.js';

interface Pending {
  id: number;
  resolve: (v: unknown) => void;
  reject: (e: Error) => void;
}

export class JsonRpcClient {
  private nextId = 1;
  private readonly pending: Pending[] = [];
  private readonly splitter = new JsonStreamSplitter(256 * 1024 * 1024);
  private failure: Error | null = null;

  private constructor(private readonly socket: Socket) {
    socket.on('data', (chunk: Buffer) => this.receive(chunk));
    socket.on('error', (err) => this.fail(new TransportError(`rpc socket: ${err.message}`, (err as NodeJS.ErrnoException).code)));
    socket.on('close', () => this.fail(new TransportError('rpc socket closed by the target')));
  }

  /** @throws TransportError (code ENOENT, ECONNREFUSED...) when nothing listens on `path` */
  static connect(path: string): Promise<JsonRpcClient> {
    return new Promise((resolve, reject) => {
      const socket = connect(path);
      socket.once('connect', () => resolve(new JsonRpcClient(socket)));
      socket.once('error', (err: NodeJS.ErrnoException) => reject(new TransportError(`cannot connect to ${path}: ${err.code ?? err.message}`, err.code)));
    });
  }

  /** The id the next request will carry. */
  get nextRequestId(): number {
    return this.nextId;
  }

  /**
   * Calls `method`. @returns its result
   * @throws RpcError with the target's code and message; TransportError when the connection fails
   */
  call(method: string, params?: Record<string, unknown>): Promise<unknown> {
    if (this.failure) return Promise.reject(this.failure);
    const id = this.nextId++;
    const request = params === undefined ? { jsonrpc: '2.0', method, id } : { jsonrpc: '2.0', method, id, params };
    this.socket.write(JSON.stringify(request));
    return new Promise((resolve, reject) => this.pending.push({ id, resolve, reject }));
  }

  close(): void {
    this.socket.end();
  }

  private receive(chunk: Buffer): void {
    for (const piece of this.splitter.push(chunk)) {
      if (piece.kind === 'error') {
        this.fail(new TransportError(`rpc socket: ${piece.message}`));
        this.socket.destroy();
        return;
      }
      const reply = JSON.parse(piece.text) as { id?: unknown; result?: unknown; error?: { code: number; message: string } };
      const waiter = this.pending.shift();
      if (!waiter) continue;
      if (reply.id !== waiter.id && reply.id !== null) {
        waiter.reject(new TransportError(`rpc reply for id ${String(reply.id)} while waiting for ${waiter.id}`));
      } else if (reply.error) waiter.reject(new RpcError(reply.error.code ?? RpcErrorCode.INTERNAL_ERROR, reply.error.message));
      else waiter.resolve(reply.result);
    }
  }

  private fail(err: Error): void {
    this.failure ??= err;
    for (const p of this.pending.splice(0)) p.reject(err);
  }
}
