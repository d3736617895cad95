/**
 * An NVM subsystem (SPDK's `spdk_nvmf_subsystem`, Linux's `nvmet_subsys`):
 * namespaces, the hosts allowed in, the listeners it is reachable on, and the
 * controllers hosts have created in it.
 */
import { ConfigError } from '../spec/errors.js';
import type { BlockDevice } from './bdev/block-device.js';
import type { Controller } from './controller.js';
import type { ListenerAddress } from './listener.js';
import { listenerMatches, sameListener, validateListenerAddress } from './listener.js';
import { Namespace, type NamespaceOptions } from './namespace.js';
import { validateNqn } from './nqn.js';
import type { TargetConnectionInfo } from './transport/transport.js';

export interface SubsystemOptions {
  nqn: string;
  /** Identify SN, printable ASCII, at most 20 characters. Default `NVMEKIT` and a number. */
  serialNumber?: string;
  /** Identify MN, printable ASCII, at most 40 characters. Default `nvmekit Controller`. */
  modelNumber?: string;
  /** Let any host connect (SPDK `allow_any_host`). Default false: only `hosts`. */
  allowAnyHost?: boolean;
  /** Host NQNs allowed to connect. */
  hosts?: Iterable<string>;
  /** Highest NSID (Identify NN). Default 32, as SPDK. */
  maxNamespaces?: number;
  /** Where the subsystem is reachable; default every listener of the target. */
  listeners?: ListenerAddress[];
  /**
   * Reachable only through `listeners`, so none means unreachable (SPDK's
   * model, where `nvmf_subsystem_add_listener` exports a subsystem). Default
   * false: no listeners means every listener of the target.
   */
  explicitListeners?: boolean;
}

export type SubsystemType = 'nvme' | 'discovery';

/** What a subsystem reports to the target that holds it. */
export interface SubsystemOwner {
  /** Something the discovery log shows changed (hosts, listeners, subsystems). */
  discoveryChanged(): void;
  log(level: 'error' | 'warn' | 'info' | 'debug', msg: string): void;
}

/** CNTLIDs of the dynamic controller model: 0xFFF0 and up are reserved. */
export const MIN_CNTLID = 1;
export const MAX_CNTLID = 0xffef;
const MAX_NAMESPACES_LIMIT = 1024;
const DEFAULT_MAX_NAMESPACES = 32;

function checkAscii(key: string, value: string, max: number): string {
  if (!/^[\x20-\x7e]*$/.test(value) || value.length > max) {
    throw new ConfigError(key, `expected printable ASCII of at most ${max} characters, got '${value}'`);
  }
  return value;
}

export class Subsystem {
  readonly nqn: string;
  readonly serialNumber: string;
  readonly modelNumber: string;
  readonly maxNamespaces: number;
  /** When the subsystem was created (SMART power-on hours count from here). */
  readonly createdAtMs = Date.now();
  /** Associations that ended without a CC.SHN shutdown (SMART unsafe shutdowns). */
  unsafeShutdowns = 0;
  private allowAny: boolean;
  private readonly hostSet = new Set<string>();
  private readonly nsMap = new Map<number, Namespace>();
  private readonly listenerList: ListenerAddress[] = [];
  private readonly controllerMap = new Map<number, Controller>();
  private nextCntlid = MIN_CNTLID;
  private readonly explicitListeners: boolean;

  /** @throws ConfigError for an invalid NQN, serial, model, host or listener */
  constructor(
    opts: SubsystemOptions,
    readonly subtype: SubsystemType,
    private readonly owner: SubsystemOwner,
    defaultSerial: string,
  ) {
    validateNqn(opts.nqn, 'nqn');
    this.nqn = opts.nqn;
    this.serialNumber = checkAscii('serialNumber', opts.serialNumber ?? defaultSerial, 20);
    this.modelNumber = checkAscii('modelNumber', opts.modelNumber ?? 'nvmekit Controller', 40);
    const maxNs = opts.maxNamespaces ?? (subtype === 'discovery' ? 0 : DEFAULT_MAX_NAMESPACES);
    if (!Number.isInteger(maxNs) || maxNs < 0 || maxNs > MAX_NAMESPACES_LIMIT) {
      throw new ConfigError('maxNamespaces', `expected 0..${MAX_NAMESPACES_LIMIT}, got ${maxNs}`);
    }
    this.maxNamespaces = maxNs;
    this.allowAny = opts.allowAnyHost ?? false;
    for (const host of opts.hosts ?? []) {
      validateNqn(host, 'hosts');
      this.hostSet.add(host);
    }
    for (const l of opts.listeners ?? []) this.listenerList.push(validateListenerAddress(l));
    this.explicitListeners = opts.explicitListeners ?? false;
  }

  get allowAnyHost(): boolean {
    return this.allowAny;
  }

  set allowAnyHost(allow: boolean) {
    if (allow === this.allowAny) return;
    this.allowAny = allow;
    this.owner.discoveryChanged();
  }

  get hosts(): ReadonlySet<string> {
    return this.hostSet;
  }

  get namespaces(): ReadonlyMap<number, Namespace> {
    return this.nsMap;
  }

  /** Explicit listeners; empty means every listener of the target unless `explicitListeners`. */
  get listeners(): readonly ListenerAddress[] {
    return this.listenerList;
  }

  /** Live controllers by CNTLID. */
  get controllers(): ReadonlyMap<number, Controller> {
    return this.controllerMap;
  }

  /** The discovery subsystem lets every host in. */
  isHostAllowed(hostnqn: string): boolean {
    return this.subtype === 'discovery' || this.allowAny || this.hostSet.has(hostnqn);
  }

  /** Reachable through a connection or target listener at `addr`. */
  isReachableVia(addr: ListenerAddress | TargetConnectionInfo): boolean {
    if (this.listenerList.length === 0) return !this.explicitListeners;
    return this.listenerList.some((l) => listenerMatches(l, addr));
  }

  /** Attaches `bdev` as a namespace and tells every controller (changed NS list, AEN). @returns the NSID */
  addNamespace(bdev: BlockDevice, nsidOrOptions: number | NamespaceOptions = {}): number {
    if (this.subtype === 'discovery') throw new ConfigError('nqn', 'the discovery subsystem has no namespaces');
    const opts = typeof nsidOrOptions === 'number' ? { nsid: nsidOrOptions } : nsidOrOptions;
    const nsid = opts.nsid ?? this.lowestFreeNsid();
    if (!Number.isInteger(nsid) || nsid < 1 || nsid > this.maxNamespaces) {
      throw new ConfigError('nsid', `expected 1..${this.maxNamespaces} (maxNamespaces), got ${nsid}`);
    }
    if (this.nsMap.has(nsid)) throw new ConfigError('nsid', `NSID ${nsid} is already in use in ${this.nqn}`);
    this.nsMap.set(nsid, new Namespace(nsid, bdev, opts));
    this.owner.log('info', `${this.nqn}: namespace ${nsid} added (${bdev.name})`);
    this.notifyNamespaceChange(nsid);
    return nsid;
  }

  /** Detaches a namespace; commands already running on it finish. @throws ConfigError if absent */
  removeNamespace(nsid: number): Namespace {
    const ns = this.nsMap.get(nsid);
    if (!ns) throw new ConfigError('nsid', `no namespace ${nsid} in ${this.nqn}`);
    this.nsMap.delete(nsid);
    this.owner.log('info', `${this.nqn}: namespace ${nsid} removed`);
    this.notifyNamespaceChange(nsid);
    return ns;
  }

  addHost(hostnqn: string): void {
    validateNqn(hostnqn, 'hostnqn');
    if (this.hostSet.has(hostnqn)) return;
    this.hostSet.add(hostnqn);
    this.owner.discoveryChanged();
  }

  /** Removes a host and, unless any host may connect, drops its controllers (as SPDK does). */
  removeHost(hostnqn: string): void {
    if (!this.hostSet.delete(hostnqn)) return;
    this.owner.discoveryChanged();
    if (this.allowAny) return;
    for (const ctrl of [...this.controllerMap.values()]) {
      if (ctrl.hostnqn === hostnqn) ctrl.destroy(`host ${hostnqn} removed from ${this.nqn}`);
    }
  }

  addListener(addr: ListenerAddress): void {
    const l = validateListenerAddress(addr);
    if (this.listenerList.some((x) => sameListener(x, l))) return;
    this.listenerList.push(l);
    this.owner.discoveryChanged();
  }

  /** Removes a listener and drops the controllers that came in through it. */
  removeListener(addr: ListenerAddress): void {
    const i = this.listenerList.findIndex((x) => sameListener(x, addr));
    if (i < 0) return;
    const [removed] = this.listenerList.splice(i, 1);
    this.owner.discoveryChanged();
    for (const ctrl of [...this.controllerMap.values()]) {
      if (listenerMatches(removed!, ctrl.info) && !this.isReachableVia(ctrl.info)) {
        ctrl.destroy(`listener ${addr.traddr}:${addr.trsvcid} removed from ${this.nqn}`);
      }
    }
  }

  /** The next free CNTLID (dynamic model, 1..0xFFEF), or 0 when all are taken. */
  allocateCntlid(): number {
    const span = MAX_CNTLID - MIN_CNTLID + 1;
    for (let i = 0; i < span; i++) {
      const cntlid = MIN_CNTLID + ((this.nextCntlid - MIN_CNTLID + i) % span);
      if (!this.controllerMap.has(cntlid)) {
        this.nextCntlid = cntlid === MAX_CNTLID ? MIN_CNTLID : cntlid + 1;
        return cntlid;
      }
    }
    return 0;
  }

  /** Called by the controller it registers. */
  attachController(ctrl: Controller): void {
    this.controllerMap.set(ctrl.cntlid, ctrl);
  }

  /** Called by a controller as it is torn down. */
  detachController(ctrl: Controller): void {
    if (this.controllerMap.get(ctrl.cntlid) === ctrl) this.controllerMap.delete(ctrl.cntlid);
  }

  /** Terminates every controller (subsystem deleted, target stopped). */
  destroyControllers(reason: string): void {
    for (const ctrl of [...this.controllerMap.values()]) ctrl.destroy(reason);
  }

  private lowestFreeNsid(): number {
    for (let nsid = 1; nsid <= this.maxNamespaces; nsid++) if (!this.nsMap.has(nsid)) return nsid;
    throw new ConfigError('nsid', `${this.nqn} already has ${this.maxNamespaces} namespaces (maxNamespaces)`);
  }

  private notifyNamespaceChange(nsid: number): void {
    for (const ctrl of this.controllerMap.values()) ctrl.namespaceChanged(nsid);
  }
}
