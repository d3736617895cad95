/**
 * The target's NVMe/TCP transport (SPDK's TCP `nvmf_transport` with its
 * listen ports, Linux nvmet-tcp's ports): accepts connections on any number
 * of addresses, registers each address with the target core so the discovery
 * log lists it, and runs one TcpConnection per accepted socket.
 *
 *     const target = new NvmfTarget();
 *     const tcp = new TcpListener(target, { c2hSuccess: false });
 *     const bound = await tcp.listen('tcp://127.0.0.1:0');   // bound.trsvcid: the port picked
 *     ...
 *     await tcp.close();
 */
import { createServer, type Server, type Socket } from 'node:net';
import { TransportError } from '../../../spec/errors.js';
import type { ListenerAddress } from '../../listener.js';
import type { LogLevel } from '../../target-context.js';
import { formatListenUrl } from '../listen-address.js';
import { TargetListener, type ListeningTargetCore } from '../target-listener.js';
import { DataBufferPool } from './data-buffer-pool.js';
import { resolveTcpTransportOptions, type TcpTransportOptions } from './options.js';
import { ADMIN_IN_CAPSULE_DATA_SIZE, TcpConnection, type ConnectionContext } from './tcp-connection.js';

export interface TcpListenerOptions extends Partial<TcpTransportOptions> {
  /** Where connection events and protocol errors are reported; silent by default. */
  log?: (level: LogLevel, msg: string) => void;
}

interface Port {
  readonly server: Server;
  readonly address: ListenerAddress;
}

/** Listens on `tcp://` addresses; an IPv6 address listens on IPv6 only. */
export class TcpListener extends TargetListener<Port, TcpTransportOptions> {
  private readonly connections = new Set<TcpConnection>();
  private readonly ctx: ConnectionContext;

  /** @throws ConfigError for an invalid option */
  constructor(core: ListeningTargetCore, opts: TcpListenerOptions = {}) {
    super(core, 'TCP', resolveTcpTransportOptions(opts));
    const log = opts.log ?? (() => {});
    const pool = new DataBufferPool(Math.max(this.options.inCapsuleDataSize, ADMIN_IN_CAPSULE_DATA_SIZE), this.options.maxIoSize);
    this.ctx = { core, options: this.options, pool, log };
  }

  get connectionCount(): number {
    return this.connections.size;
  }

  /**
   * Stops accepting on every address, unregisters them from the core, and
   * closes every connection (queued responses are sent first).
   */
  async close(): Promise<void> {
    this.closing = true;
    const stopped = this.ports.splice(0).map((p) => this.stopPort(p));
    const closing = [...this.connections].map((c) => c.close('the listener is closing'));
    await Promise.all([...stopped, ...closing]);
  }

  protected async bind(want: ListenerAddress): Promise<Port> {
    // Paused: each connection moves into a socket reading into its own buffer (TcpConnection).
    const server = createServer({ noDelay: true, pauseOnConnect: true });
    await new Promise<void>((resolve, reject) => {
      const failed = (err: NodeJS.ErrnoException): void => {
        reject(new TransportError(`cannot listen on ${formatListenUrl(want)}: ${err.message}`, err.code, { cause: err }));
      };
      server.once('error', failed);
      server.listen({ host: want.traddr, port: Number(want.trsvcid), ipv6Only: want.adrfam === 'IPv6' }, () => {
        server.off('error', failed);
        resolve();
      });
    });
    const port = (server.address() as { port: number }).port;
    const bound: ListenerAddress = { trtype: 'TCP', adrfam: want.adrfam, traddr: want.traddr, trsvcid: String(port) };
    server.on('error', (err) => this.ctx.log('error', `listener ${formatListenUrl(bound)}: ${err.message}`));
    server.on('connection', (socket: Socket) => this.accept(socket, bound));
    return { server, address: bound };
  }

  protected unbind(port: Port): Promise<void> {
    return new Promise<void>((resolve) => port.server.close(() => resolve()));
  }

  private accept(socket: Socket, port: ListenerAddress): void {
    if (this.closing || socket.remoteAddress === undefined) {
      socket.destroy();
      return;
    }
    const info = this.connectionInfo({
      adrfam: port.adrfam,
      traddr: socket.localAddress ?? port.traddr,
      trsvcid: port.trsvcid,
      peerAddress: socket.remoteAddress,
      peerPort: socket.remotePort ?? 0,
    });
    let conn: TcpConnection;
    try {
      conn = new TcpConnection(socket, this.ctx, info);
    } catch (err) {
      this.ctx.log('warn', `tcp ${info.peerAddress}:${info.peerPort}: not served: ${err instanceof Error ? err.message : String(err)}`);
      socket.destroy();
      return;
    }
    this.connections.add(conn);
    this.ctx.log('info', `tcp ${conn.name}: connected`);
    void conn.closed.then(() => this.connections.delete(conn));
  }
}
