/**
 * JSON-RPC 2.0 over a Unix stream socket, framed as SPDK frames it: request
 * and response objects back to back with no delimiter, a batch as an array
 * answered by an array. Each connection answers in request order; handlers
 * run on the data plane's event loop, so they stay short, and nothing a
 * client sends can throw out of the server.
 */
import { chmodSync, lstatSync, unlinkSync } from 'node:fs';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { ConfigError } from '../../spec/errors.js';
import type { LogLevel } from '../target-context.js';
import { JsonStreamSplitter } from './json-stream.js';
import { RpcErrorCode, toRpcError } from './rpc-errors.js';

/** Where nvme-target listens and nvme-rpc connects unless told otherwise (SPDK: /var/tmp/spdk.sock). */
export const DEFAULT_RPC_SOCKET = '/var/tmp/nvmekit.sock';

/** Calls a method; throws RpcError (or anything, reported as internal error). */
export type RpcDispatch = (method: string, params: unknown) => unknown;

export interface JsonRpcServerOptions {
  log?: (level: LogLevel, msg: string) => void;
  /** Longest request accepted, in bytes. Default 16 MiB. */
  maxRequestBytes?: number;
}

type Id = string | number | null;
interface Reply {
  jsonrpc: '2.0';
  id: Id;
  result?: unknown;
  error?: { code: number; message: string };
}

const DEFAULT_MAX_REQUEST = 16 * 1024 * 1024;

function errorReply(id: Id, code: number, message: string): Reply {
  return { jsonrpc: '2.0', id, error: { code, message } };
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Is something accepting connections on `path`? */
function socketIsLive(path: string): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = connect(path);
    probe.once('connect', () => {
      probe.destroy();
      resolve(true);
    });
    probe.once('error', () => resolve(false));
  });
}

export class JsonRpcServer {
  private server: Server | null = null;
  private path: string | null = null;
  private readonly sockets = new Set<Socket>();
  private readonly log: (level: LogLevel, msg: string) => void;
  private readonly maxRequestBytes: number;

  constructor(
    private readonly dispatch: RpcDispatch,
    opts: JsonRpcServerOptions = {},
  ) {
    this.log = opts.log ?? (() => {});
    this.maxRequestBytes = opts.maxRequestBytes ?? DEFAULT_MAX_REQUEST;
  }

  /** The socket path listened on, or null. */
  get socketPath(): string | null {
    return this.path;
  }

  /**
   * Listens on `path`, created with mode 0600. A stale socket left by a dead
   * target is replaced; a live one, or a file that is not a socket, is not.
   * @throws ConfigError when the path is taken
   */
  async listen(path: string): Promise<void> {
    const existing = lstatSync(path, { throwIfNoEntry: false });
    if (existing) {
      if (!existing.isSocket()) throw new ConfigError('rpc-socket', `${path} exists and is not a socket`);
      if (await socketIsLive(path)) throw new ConfigError('rpc-socket', `${path} is in use by another running target`);
      unlinkSync(path);
    }
    const server = createServer((socket) => this.accept(socket));
    await new Promise<void>((resolve, reject) => {
      server.once('error', (err: NodeJS.ErrnoException) => reject(new ConfigError('rpc-socket', `cannot listen on ${path}: ${err.message}`)));
      // The socket is bound inside listen(): a umask there gives it mode 0600 from birth.
      const umask = process.umask(0o177);
      try {
        server.listen(path, () => resolve());
      } finally {
        process.umask(umask);
      }
    });
    chmodSync(path, 0o600);
    server.on('error', (err) => this.log('error', `rpc socket ${path}: ${err.message}`));
    this.server = server;
    this.path = path;
  }

  /** Stops listening, closes every client connection and removes the socket file. */
  async close(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = null;
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    const path = this.path!;
    this.path = null;
    if (lstatSync(path, { throwIfNoEntry: false })?.isSocket()) unlinkSync(path);
  }

  private accept(socket: Socket): void {
    this.sockets.add(socket);
    socket.on('close', () => this.sockets.delete(socket));
    socket.on('error', (err) => this.log('debug', `rpc client: ${err.message}`));
    const splitter = new JsonStreamSplitter(this.maxRequestBytes);
    let queue: Promise<void> = Promise.resolve();
    socket.on('data', (chunk: Buffer) => {
      for (const piece of splitter.push(chunk)) {
        if (piece.kind === 'error') {
          queue = queue.then(() => this.send(socket, errorReply(null, RpcErrorCode.PARSE_ERROR, `Parse error: ${piece.message}`)));
          void queue.then(() => socket.end());
          socket.pause();
          return;
        }
        const text = piece.text;
        queue = queue
          .then(() => this.answer(socket, text))
          .catch((err: unknown) => this.log('error', `rpc: ${err instanceof Error ? err.message : String(err)}`));
      }
    });
  }

  private async answer(socket: Socket, text: string): Promise<void> {
    let message: unknown;
    try {
      message = JSON.parse(text);
    } catch (err) {
      this.send(socket, errorReply(null, RpcErrorCode.PARSE_ERROR, `Parse error: ${(err as Error).message}`));
      socket.end();
      return;
    }
    if (!Array.isArray(message)) {
      const reply = await this.call(message);
      if (reply) this.send(socket, reply);
      return;
    }
    if (message.length === 0) {
      this.send(socket, errorReply(null, RpcErrorCode.INVALID_REQUEST, 'Invalid request: empty batch'));
      return;
    }
    const replies: Reply[] = [];
    for (const request of message) {
      const reply = await this.call(request);
      if (reply) replies.push(reply);
    }
    if (replies.length > 0) this.send(socket, replies);
  }

  /** One request's reply; null for a notification (no `id`). */
  private async call(request: unknown): Promise<Reply | null> {
    if (!isObject(request)) return errorReply(null, RpcErrorCode.INVALID_REQUEST, 'Invalid request: expected an object');
    const id = request.id;
    const validId = id === undefined || id === null || typeof id === 'string' || typeof id === 'number';
    const replyId: Id = validId && id !== undefined ? (id as Id) : null;
    if (request.jsonrpc !== '2.0') return errorReply(replyId, RpcErrorCode.INVALID_REQUEST, 'Invalid request: jsonrpc must be "2.0"');
    if (!validId) return errorReply(null, RpcErrorCode.INVALID_REQUEST, 'Invalid request: id must be a string, a number or null');
    if (typeof request.method !== 'string') return errorReply(replyId, RpcErrorCode.INVALID_REQUEST, 'Invalid request: method must be a string');
    let reply: Reply;
    try {
      const result = await this.dispatch(request.method, request.params);
      reply = { jsonrpc: '2.0', id: replyId, result };
    } catch (err) {
      const e = toRpcError(err);
      if (e.code === RpcErrorCode.INTERNAL_ERROR) this.log('error', `${request.method}: ${e.message}`);
      reply = errorReply(replyId, e.code, e.message);
    }
    return id === undefined ? null : reply;
  }

  private send(socket: Socket, reply: Reply | Reply[]): void {
    // Not after end(): requests queued behind a parse error go unanswered.
    if (socket.writable) socket.write(JSON.stringify(reply));
  }
}
