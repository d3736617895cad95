/**
 * The target's NVMe/RDMA transport (SPDK's RDMA `nvmf_transport`, Linux
 * nvmet-rdma's ports): rdma_cm listeners on any number of addresses, one event
 * channel watched by libuv (`fd-watch.ts`), connect requests checked and
 * accepted or rejected with an NVMe/RDMA status, one RdmaConnection per
 * accepted queue pair, devices (PD, completion channel, buffer pool) opened
 * on first use.
 *
 *     const rdma = new RdmaListener(target, {});
 *     const bound = await rdma.listen('rdma://192.0.2.1:4420');
 *     ...
 *     await rdma.close();
 *
 * libibverbs and librdmacm are loaded by the constructor, so a process that
 * never creates this transport never needs them.
 */
import { isIP } from 'node:net';
import { TransportError } from '../../../spec/errors.js';
import { encodeRdmaCmReject, RdmaCmRejectError, RdmaCmStatus, RDMA_CM_REJECT_SIZE } from '../../../spec/rdma.js';
import { fdWatcher } from '../../../native/fd-watch.js';
import { CmEventType, CmIdOffset, rdmacm, socketAddress, type CmEvent } from '../../../native/rdmacm.js';
import { NativeScratch, verbs } from '../../../native/verbs.js';
import type { ListenerAddress } from '../../listener.js';
import type { LogLevel } from '../../target-context.js';
import { formatListenUrl } from '../listen-address.js';
import { TargetListener, type ListeningTargetCore } from '../target-listener.js';
import { checkConnectRequest, type ConnectLimits } from './connect-request.js';
import { resolveRdmaTransportOptions, type RdmaTransportOptions } from './options.js';
import { RdmaConnection, type RdmaConnectionContext } from './rdma-connection.js';
import { RdmaDevice } from './rdma-device.js';

export interface RdmaListenerOptions extends Partial<RdmaTransportOptions> {
  /** Highest I/O queue ID a host may connect (the controller's I/O queue limit); connect requests above it are rejected with INVALID_QID. */
  maxQid?: number;
  /** Where connection events and protocol errors are reported; silent by default. */
  log?: (level: LogLevel, msg: string) => void;
}

/** How long `close` waits for connections whose commands the core still holds. */
const CLOSE_WAIT_MS = 5000;

/** Words for the errno of a failed rdma_bind_addr. */
const BIND_FAILURES: Readonly<Record<string, string>> = {
  EADDRINUSE: 'address already in use (is another target listening on this port?)',
  EADDRNOTAVAIL: 'no RDMA device has this address (rxe or a RoCE/iWARP NIC must carry it)',
  ENODEV: 'no RDMA device has this address (rxe or a RoCE/iWARP NIC must carry it)',
};

interface Port {
  readonly id: bigint;
  readonly address: ListenerAddress;
}

/** Listens on `rdma://` addresses, each through its own rdma_cm ID on the listener's event channel. */
export class RdmaListener extends TargetListener<Port, RdmaTransportOptions> {
  private readonly connections = new Map<bigint, RdmaConnection>();
  private readonly devices = new Map<bigint, RdmaDevice>();
  private readonly ctx: RdmaConnectionContext;
  private readonly limits: ConnectLimits;
  private readonly channel: bigint;
  private readonly channelFd: number;
  /** Native home of reject private data (rdma_reject reads it from C). */
  private readonly rejectData: NativeScratch;

  /**
   * @throws ConfigError for an invalid option; TransportError when libibverbs or
   * librdmacm is missing or no RDMA device can be opened
   */
  constructor(core: ListeningTargetCore, opts: RdmaListenerOptions = {}) {
    super(core, 'RDMA', resolveRdmaTransportOptions(opts));
    this.ctx = { options: this.options, log: opts.log ?? (() => {}) };
    this.limits = {
      maxAqDepth: this.options.maxAqDepth,
      maxQueueDepth: this.options.maxQueueDepth,
      maxQid: opts.maxQid ?? 0xfffe,
      maxReadDepth: this.options.maxReadDepth,
    };
    const cm = rdmacm();
    this.channel = cm.createEventChannel();
    this.channelFd = cm.channelFd(this.channel);
    this.rejectData = new NativeScratch(RDMA_CM_REJECT_SIZE);
    fdWatcher().watch(this.channelFd, this.onCmEvents);
  }

  get connectionCount(): number {
    return this.connections.size;
  }

  /** As `TargetListener.listen`; logs the address bound. */
  override async listen(addr: ListenerAddress | string): Promise<ListenerAddress> {
    const bound = await super.listen(addr);
    this.ctx.log('info', `rdma: listening on ${formatListenUrl(bound)}`);
    return bound;
  }

  /** Stops every listener, closes every connection, then frees the devices and the event channel. */
  async close(): Promise<void> {
    if (this.closing) return;
    this.closing = true;
    for (const port of this.ports.splice(0)) this.stopPort(port);
    const all = Promise.all([...this.connections.values()].map((c) => c.close('the listener is closing')));
    let timer: NodeJS.Timeout | undefined;
    const drained = await Promise.race([
      all.then(() => true),
      new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), CLOSE_WAIT_MS))),
    ]);
    clearTimeout(timer);
    fdWatcher().unwatch(this.channelFd);
    if (!drained) {
      // Freeing memory the core still reads would crash the process: leave it to the exit.
      this.ctx.log('warn', `rdma: ${this.connections.size} connection(s) still had commands in the core; their resources are left to process exit`);
      return;
    }
    for (const dev of this.devices.values()) dev.close();
    this.devices.clear();
    this.rejectData.release();
    rdmacm().destroyEventChannel(this.channel);
  }

  protected async bind(want: ListenerAddress): Promise<Port> {
    const cm = rdmacm();
    const family = isIP(want.traddr) === 6 ? 6 : 4;
    const sockaddr = socketAddress(want.traddr, Number(want.trsvcid), family);
    const id = cm.createId(this.channel);
    const fail = (call: string): TransportError => {
      const e = cm.errnoName();
      cm.destroyId(id);
      return new TransportError(`cannot listen on ${formatListenUrl(want)}: ${BIND_FAILURES[e] ?? `${call} failed`} (${call}: ${e})`, e);
    };
    if (cm.bindAddr(id, sockaddr) !== 0) throw fail('rdma_bind_addr');
    if (cm.listen(id, this.options.acceptorBacklog) !== 0) throw fail('rdma_listen');
    return { id, address: { trtype: 'RDMA', adrfam: want.adrfam, traddr: want.traddr, trsvcid: String(cm.localAddress(id).port) } };
  }

  protected unbind(port: Port): void {
    rdmacm().destroyId(port.id);
  }

  // ---- rdma_cm events ----

  private readonly onCmEvents = (): void => {
    const cm = rdmacm();
    for (;;) {
      let ev: CmEvent | null;
      try {
        ev = cm.getEvent(this.channel);
      } catch (err) {
        this.ctx.log('error', `rdma: rdma_get_cm_event failed: ${(err as Error).message}`);
        return;
      }
      if (ev === null) return;
      try {
        this.onCmEvent(ev);
      } catch (err) {
        // A bug or a bad peer: keep the target and the other connections alive.
        this.ctx.log('error', `rdma: ${cm.eventName(ev.type)}: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
      }
    }
  };

  private onCmEvent(ev: CmEvent): void {
    if (ev.type === CmEventType.CONNECT_REQUEST) {
      this.connectRequest(ev);
      return;
    }
    const conn = this.connections.get(ev.id);
    if (conn === undefined) {
      const port = this.ports.find((p) => p.id === ev.id);
      if (port !== undefined && ev.type === CmEventType.DEVICE_REMOVAL) {
        this.ctx.log('error', `rdma: the RDMA device of ${formatListenUrl(port.address)} was removed; not listening there any more`);
        this.ports.splice(this.ports.indexOf(port), 1);
        this.stopPort(port);
      }
      return;
    }
    switch (ev.type) {
      case CmEventType.ESTABLISHED:
        conn.established();
        return;
      case CmEventType.DISCONNECTED:
      case CmEventType.TIMEWAIT_EXIT:
      case CmEventType.DEVICE_REMOVAL:
      case CmEventType.CONNECT_ERROR:
      case CmEventType.UNREACHABLE:
      case CmEventType.REJECTED:
        conn.disconnected(rdmacm().eventName(ev.type));
        return;
      default:
        this.ctx.log('debug', `rdma ${conn.name}: ${rdmacm().eventName(ev.type)} ignored`);
    }
  }

  /** Checks the private data, then accepts (connection, core queue pair) or rejects with the NVMe/RDMA status. */
  private connectRequest(ev: CmEvent): void {
    const cm = rdmacm();
    const peer = cm.peerAddress(ev.id);
    const who = `${peer.address}:${peer.port}`;
    let accepted;
    try {
      if (this.closing) throw new RdmaCmRejectError(RdmaCmStatus.NO_RESOURCES, 'the target is shutting down');
      accepted = checkConnectRequest(ev.privateData, ev.initiatorDepth, this.limits);
    } catch (err) {
      if (!(err instanceof RdmaCmRejectError)) throw err;
      this.reject(ev.id, err.sts, `rdma ${who}: connect request rejected: ${err.message}`);
      return;
    }
    const port = this.ports.find((p) => p.id === ev.listenId);
    const local = cm.localAddress(ev.id);
    const info = this.connectionInfo({
      adrfam: local.family === 6 ? 'IPv6' : 'IPv4',
      traddr: local.address,
      trsvcid: port?.address.trsvcid ?? String(local.port),
      peerAddress: peer.address,
      peerPort: peer.port,
    });
    let conn: RdmaConnection;
    try {
      conn = new RdmaConnection(ev.id, this.deviceOf(ev.id), this.ctx, info, accepted);
    } catch (err) {
      this.reject(ev.id, RdmaCmStatus.NO_RESOURCES, `rdma ${who}: cannot set up the queue pair: ${(err as Error).message}`);
      return;
    }
    this.connections.set(ev.id, conn);
    void conn.closed.then(() => this.connections.delete(ev.id));
    const qp = this.core.createQueuePair(info);
    try {
      conn.accept(qp);
    } catch (err) {
      this.ctx.log('warn', `rdma ${who}: ${(err as Error).message}`);
      void conn.close(`accept failed: ${(err as Error).message}`);
    }
  }

  private reject(id: bigint, sts: number, why: string): void {
    const cm = rdmacm();
    this.ctx.log('warn', why);
    encodeRdmaCmReject(sts, this.rejectData.buffer, 0);
    if (cm.reject(id, this.rejectData.address, RDMA_CM_REJECT_SIZE) !== 0) this.ctx.log('warn', `rdma_reject failed: ${cm.errnoName()}`);
    cm.destroyId(id);
  }

  /** The device a new CM ID arrived on, opened on first use. */
  private deviceOf(id: bigint): RdmaDevice {
    const ctx = verbs().koffi.decode(id, CmIdOffset.VERBS, 'void *') as bigint;
    let dev = this.devices.get(ctx);
    if (dev === undefined) {
      dev = RdmaDevice.open(ctx, this.options);
      this.devices.set(ctx, dev);
    }
    return dev;
  }
}
