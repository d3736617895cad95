/**
 * What the target's transports (TCP, RDMA) do alike around their own way of
 * binding an address: the list of addresses listened on, each registered with
 * the target core so the discovery log lists it, listen and stop-listening
 * with that bookkeeping, and the connection info handed to the core.
 */
import { TransportError } from '../../spec/errors.js';
import { sameListener, type ListenerAddress } from '../listener.js';
import { listenAddressFor, parseListenUrl } from './listen-address.js';
import type { TargetConnectionInfo, TargetCore } from './transport.js';

/** The target core as a listener uses it: queue pairs, and the address book discovery reads (NvmfTarget). */
export interface ListeningTargetCore extends TargetCore {
  addListener(addr: ListenerAddress): unknown;
  removeListener(addr: ListenerAddress): unknown;
}

/** One address listened on, with the transport's handle for it (a server, a CM ID). */
export interface ListenPort {
  readonly address: ListenerAddress;
}

/** The transport options every connection's info carries. */
export interface ConnectionLimits {
  maxQueueDepth: number;
  maxAqDepth: number;
  inCapsuleDataSize: number;
  maxIoSize: number;
}

/** Where a connection came in: the connection info without the transport's limits. */
export type ConnectionEnds = Pick<TargetConnectionInfo, 'adrfam' | 'traddr' | 'trsvcid' | 'peerAddress' | 'peerPort'>;

export abstract class TargetListener<P extends ListenPort, O extends ConnectionLimits> {
  protected readonly ports: P[] = [];
  protected closing = false;

  protected constructor(
    protected readonly core: ListeningTargetCore,
    private readonly trtype: ListenerAddress['trtype'],
    /** The transport options after defaults. */
    readonly options: O,
  ) {}

  /** The addresses listened on, with the ports actually bound. */
  get addresses(): ListenerAddress[] {
    return this.ports.map((p) => p.address);
  }

  /** Connections open now. */
  abstract get connectionCount(): number;

  /**
   * Starts listening on `addr` (a URL of this transport's scheme, e.g.
   * `tcp://ADDR:PORT`, or a ListenerAddress; port 0 picks a free port) and
   * registers the bound address with the target core.
   * @returns the bound address
   * @throws ConfigError for a malformed address or one of another transport; TransportError (code EADDRINUSE, EADDRNOTAVAIL, ENODEV...) when it cannot be bound
   */
  async listen(addr: ListenerAddress | string): Promise<ListenerAddress> {
    if (this.closing) throw new TransportError(`the ${this.trtype} listener is closed`);
    const port = await this.bind(listenAddressFor(this.trtype, addr));
    try {
      if (this.closing) throw new TransportError(`the ${this.trtype} listener was closed while it started listening`);
      this.core.addListener(port.address);
    } catch (err) {
      await this.unbind(port);
      throw err;
    }
    this.ports.push(port);
    return port.address;
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

  /** Binds `want` and starts accepting there. */
  protected abstract bind(want: ListenerAddress): Promise<P>;

  /** Stops accepting on a port and releases it. */
  protected abstract unbind(port: P): Promise<void> | void;

  /** Releases a port taken out of `ports` and unregisters its address from the core. */
  protected stopPort(port: P): Promise<void> | void {
    const released = this.unbind(port);
    this.core.removeListener(port.address);
    return released;
  }

  /** The info the core gets for a new connection. */
  protected connectionInfo(ends: ConnectionEnds): TargetConnectionInfo {
    const opts = this.options;
    return {
      trtype: this.trtype,
      ...ends,
      inCapsuleDataSize: opts.inCapsuleDataSize,
      maxIoSize: opts.maxIoSize,
      maxQueueDepth: opts.maxQueueDepth,
      maxAdminQueueDepth: opts.maxAqDepth,
    };
  }
}
