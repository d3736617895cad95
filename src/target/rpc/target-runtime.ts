/**
 * The running target as the RPC methods see it: the core (subsystems), the
 * TCP and RDMA transports once `nvmf_create_transport` made them, the listen ports every
 * subsystem shares, and the framework state `--wait-for-rpc` holds back.
 * Listen ports are opened by the first subsystem listener on an address and
 * closed with the last, as SPDK's transport counts its listeners.
 */
import type { ListenerAddress } from '../listener.js';
import { sameListener } from '../listener.js';
import type { Subsystem } from '../subsystem.js';
import type { LogLevel } from '../target-context.js';
import type { NvmfTarget } from '../target.js';
import { TcpListener, type TcpTransportOptions } from '../transport/tcp/index.js';
import { RdmaListener, type RdmaTransportOptions } from '../transport/rdma/index.js';
import type { BdevRegistry } from '../bdev/bdev-registry.js';
import { RpcErrno, RpcError, invalidParams } from './rpc-errors.js';

export type FrameworkState = 'startup' | 'runtime';

export interface TargetRuntimeOptions {
  target: NvmfTarget;
  bdevs: BdevRegistry;
  log?: (level: LogLevel, msg: string) => void;
  /** Starts in `startup` (`--wait-for-rpc`) until `framework_start_init`. Default `runtime`. */
  state?: FrameworkState;
  /** Run by `framework_start_init` once runtime methods are allowed, before `framework_wait_init` returns (load the config, build the flag subsystem). */
  onStartInit?: () => Promise<void>;
}

export class TargetRuntime {
  readonly target: NvmfTarget;
  readonly bdevs: BdevRegistry;
  readonly log: (level: LogLevel, msg: string) => void;
  /** The TCP transport; null until `nvmf_create_transport`. */
  private tcpListener: TcpListener | null = null;
  /** The RDMA transport; null until `nvmf_create_transport -t RDMA`. */
  private rdmaListener: RdmaListener | null = null;
  private frameworkState: FrameworkState;
  private readonly onStartInit: () => Promise<void>;
  private readonly initWaiters: (() => void)[] = [];
  private initialized: boolean;

  constructor(opts: TargetRuntimeOptions) {
    this.target = opts.target;
    this.bdevs = opts.bdevs;
    this.log = opts.log ?? (() => {});
    this.frameworkState = opts.state ?? 'runtime';
    this.initialized = this.frameworkState === 'runtime';
    this.onStartInit = opts.onStartInit ?? (async () => {});
  }

  get state(): FrameworkState {
    return this.frameworkState;
  }

  get tcp(): TcpListener | null {
    return this.tcpListener;
  }

  get rdma(): RdmaListener | null {
    return this.rdmaListener;
  }

  /**
   * Leaves the startup state (`framework_start_init`): runtime methods are
   * allowed from here on, so the init hook can replay a configuration.
   * @throws RpcError -1 when already initialised
   */
  async startInit(): Promise<void> {
    if (this.frameworkState === 'runtime') throw new RpcError(-1, 'framework_start_init: the framework is already initialized');
    this.frameworkState = 'runtime';
    await this.onStartInit();
    this.initialized = true;
    for (const w of this.initWaiters.splice(0)) w();
  }

  /** Resolves once the framework is initialised. */
  waitInit(): Promise<void> {
    if (this.initialized) return Promise.resolve();
    return new Promise((resolve) => this.initWaiters.push(resolve));
  }

  /** Creates the TCP transport. @throws RpcError -EEXIST when it exists; ConfigError for a bad option */
  createTcpTransport(opts: Partial<TcpTransportOptions>): TcpListener {
    if (this.tcpListener) throw new RpcError(RpcErrno.EEXIST, "Transport type 'TCP' already exists");
    this.tcpListener = new TcpListener(this.target, { ...opts, log: this.log });
    return this.tcpListener;
  }

  /**
   * Creates the RDMA transport (loads libibverbs and librdmacm).
   * @throws RpcError -EEXIST when it exists; ConfigError for a bad option; TransportError when the libraries or an RDMA device are missing
   */
  createRdmaTransport(opts: Partial<RdmaTransportOptions>): RdmaListener {
    if (this.rdmaListener) throw new RpcError(RpcErrno.EEXIST, "Transport type 'RDMA' already exists");
    this.rdmaListener = new RdmaListener(this.target, { ...opts, maxQid: this.target.settings.maxIoQueuesPerController, log: this.log });
    return this.rdmaListener;
  }

  /**
   * Exports `subsystem` on `addr`, listening there first if no subsystem does.
   * @returns the address as bound (port 0 becomes the port picked)
   * @throws TransportError when the address cannot be bound
   */
  async addListener(subsystem: Subsystem, addr: ListenerAddress): Promise<ListenerAddress> {
    const tcp = this.requireTransport(addr);
    const bound = tcp.addresses.find((a) => sameListener(a, addr)) ?? (await tcp.listen(addr));
    subsystem.addListener(bound);
    return bound;
  }

  /** Stops exporting `subsystem` on `addr` (its connections there close); the port closes with its last subsystem. */
  async removeListener(subsystem: Subsystem, addr: ListenerAddress): Promise<void> {
    if (!subsystem.listeners.some((l) => sameListener(l, addr))) {
      throw invalidParams('listen_address', `${subsystem.nqn} has no listener ${addr.traddr}:${addr.trsvcid}`);
    }
    subsystem.removeListener(addr);
    await this.closeUnusedPort(addr);
  }

  /** Deletes a subsystem (its hosts are disconnected) and closes the ports only it used. */
  async deleteSubsystem(subsystem: Subsystem): Promise<void> {
    const listeners = [...subsystem.listeners];
    this.target.deleteSubsystem(subsystem.nqn);
    for (const addr of listeners) await this.closeUnusedPort(addr);
  }

  /** Stops every port and connection and ends every association. */
  async close(): Promise<void> {
    await this.tcpListener?.close();
    await this.rdmaListener?.close();
    this.target.close();
  }

  /** The transport that serves `addr.trtype`. */
  private transportOf(addr: ListenerAddress): TcpListener | RdmaListener | null {
    return addr.trtype === 'RDMA' ? this.rdmaListener : this.tcpListener;
  }

  private requireTransport(addr: ListenerAddress): TcpListener | RdmaListener {
    const transport = this.transportOf(addr);
    if (!transport) {
      throw new RpcError(
        RpcErrno.EINVAL,
        `Unable to find ${addr.trtype} transport. The transport must be created first (nvmf_create_transport -t ${addr.trtype})`,
      );
    }
    return transport;
  }

  private async closeUnusedPort(addr: ListenerAddress): Promise<void> {
    for (const s of this.target.subsystems.values()) if (s.listeners.some((l) => sameListener(l, addr))) return;
    await this.transportOf(addr)?.stopListening(addr);
  }
}
