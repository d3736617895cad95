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
import { sameListener, type ListenerAddress } from '../../listener.js';
import type { LogLevel } from '../../target-context.js';
import type { TargetConnectionInfo, TargetCore } from '../transport.js';
import { DataBufferPool } from './data-buffer-pool.js';
import { formatListenUrl, parseListenUrl } from '../listen-address.js';
import { resolveTcpTransportOptions, type TcpTransportOptions } from './options.js';
import { ADMIN_IN_CAPSULE_DATA_SIZE, TcpConnection, type ConnectionContext } from './tcp-connection.js';

/** The target core as the listener uses it: queue pairs, and the address book discovery reads (NvmfTarget). */
export interface TcpTargetCore extends TargetCore {
  addListener(addr: ListenerAddress): unknown;
  removeListener(addr: ListenerAddress): unknown;
}

export interface TcpListenerOptions extends Partial<TcpTransportOptions> {
  /** Where connection events and protocol errors are reported; silent by default. */
  log?: (level: LogLevel, msg: string) => void;
}

interface Port {
  readonly server: Server;
  readonly address: ListenerAddress;
}

export class TcpListener {
  /** The transport options after defaults. */
  readonly options: TcpTransportOptions;
  private readonly ports: Port[] = [];
  private readonly connections = new Set<TcpConnection>();
  private readonly ctx: ConnectionContext;
  private closing = false;

  /** @throws ConfigError for an invalid option */
  constructor(
    private readonly core: TcpTargetCore,
    opts: TcpListenerOptions = {},
  ) {
    this.options = resolveTcpTransportOptions(opts);
    const log = opts.log ?? (() => {});
    const pool = new DataBufferPool(Math.max(this.options.inCapsuleDataSize, ADMIN_IN_CAPSULE_DATA_SIZE), this.options.maxIoSize);
    this.ctx = { core, options: this.options, pool, log };
  }

  /** The addresses listened on, with the ports actually bound. */
  get addresses(): ListenerAddress[] {
    return this.ports.map((p) => p.address);
  }

  /** Connections open now. */
  get connectionCount(): number {
    return this.connections.size;
  }

  /**
   * Starts listening on `addr` (`tcp://ADDR:PORT` or a ListenerAddress; port 0
   * picks a free port) and registers the bound address with the target core.
   * An IPv6 address listens on IPv6 only.
   * @returns the bound address
   * @throws ConfigError for a malformed address; TransportError (code EADDRINUSE, EADDRNOTAVAIL...) when it cannot be bound
   */
  async listen(addr: ListenerAddress | string): Promise<ListenerAddress> {
    if (this.closing) throw new TransportError('the TCP listener is closed');
    const want = typeof addr === 'string' ? parseListenUrl(addr) : addr;
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
    try {
      if (this.closing) throw new TransportError('the TCP listener was closed while it started listening');
      this.core.addListener(bound);
    } catch (err) {
      server.close();
      throw err;
    }
    server.on('error', (err) => this.ctx.log('error', `listener ${formatListenUrl(bound)}: ${err.message}`));
    server.on('connection', (socket: Socket) => this.accept(socket, bound));
    this.ports.push({ server, address: bound });
    return bound;
  }

  /**
   * Stops accepting on one address and unregisters it from the core, which
   * ends the associations whose admin queue came in through it. Other
   * connections stay. @returns false if not listening there
   */
  async stopListening(addr: ListenerAddress | string): Promise<boolean> {
    const want = typeof addr === 'string' ? parseListenUrl(addr) : addr;
    const i = this.ports.findIndex((p) => sameListener(p.address, want));
    if (i < 0) return false;
    const [port] = this.ports.splice(i, 1);
    await this.stopPort(port!);
    return true;
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

  private stopPort(port: Port): Promise<void> {
    const closed = new Promise<void>((resolve) => port.server.close(() => resolve()));
    this.core.removeListener(port.address);
    return closed;
  }

  private accept(socket: Socket, port: ListenerAddress): void {
    if (this.closing || socket.remoteAddress === undefined) {
      socket.destroy();
      return;
    }
    const opts = this.options;
    const info: TargetConnectionInfo = {
      trtype: 'TCP',
      adrfam: port.adrfam,
      traddr: socket.localAddress ?? port.traddr,
      trsvcid: port.trsvcid,
      peerAddress: socket.remoteAddress,
      peerPort: socket.remotePort ?? 0,
      inCapsuleDataSize: opts.inCapsuleDataSize,
      maxIoSize: opts.maxIoSize,
      maxQueueDepth: opts.maxQueueDepth,
      maxAdminQueueDepth: opts.maxAqDepth,
    };
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
