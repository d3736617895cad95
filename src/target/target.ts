/**
 * The bundled NVMe-oF target core (SPDK's `spdk_nvmf_tgt`, Linux's nvmet
 * configuration root): subsystems, the discovery subsystem, listeners, and the
 * queue pairs transports create. Transport independent: a TCP or RDMA
 * listener registers its address with `addListener` and hands each new
 * connection to `createQueuePair`.
 */
import { ConfigError } from '../spec/errors.js';
import { DISCOVERY_NQN } from '../spec/fabrics.js';
import { NVMEKIT_VERSION } from '../version.js';
import { discoveryLogFor } from './discovery.js';
import {
  formatListener,
  sameListener,
  validateListenerAddress,
  type Listener,
  type ListenerAddress,
} from './listener.js';
import { NvmfQueuePair } from './queue-pair.js';
import { Subsystem, type SubsystemOptions, type SubsystemOwner } from './subsystem.js';
import type { LogLevel, TargetContext, TargetSettings } from './target-context.js';
import type { TargetConnectionInfo, TargetCore } from './transport/transport.js';

/** The firmware revision Identify reports by default: nvmekit's version, cut to the 8 characters FR holds. */
export const NVMEKIT_FIRMWARE_REVISION = NVMEKIT_VERSION.slice(0, 8);

export interface NvmfTargetOptions {
  /** Where log lines go; silent by default. */
  log?: (level: LogLevel, msg: string) => void;
  /** Identify FR (at most 8 characters). Default {@link NVMEKIT_FIRMWARE_REVISION}. */
  firmwareRevision?: string;
  /** Most I/O queues per controller (SPDK `max_io_qpairs_per_ctrlr`). Default 127. */
  maxIoQueuesPerController?: number;
}

const DEFAULT_MAX_IO_QUEUES = 127;

export class NvmfTarget implements TargetCore, TargetContext {
  readonly settings: TargetSettings;
  /** The well-known discovery subsystem, reachable on every listener by every host. */
  readonly discoverySubsystem: Subsystem;
  private readonly subsystemMap = new Map<string, Subsystem>();
  private readonly listenerList: Listener[] = [];
  private readonly logSink: ((level: LogLevel, msg: string) => void) | undefined;
  private readonly owner: SubsystemOwner;
  private genctr = 0;
  private nextPortId = 0;
  private nextSerial = 1;

  /** @throws ConfigError for a bad option */
  constructor(opts: NvmfTargetOptions = {}) {
    const fr = opts.firmwareRevision ?? NVMEKIT_FIRMWARE_REVISION;
    if (!/^[\x20-\x7e]{1,8}$/.test(fr)) throw new ConfigError('firmwareRevision', `expected 1 to 8 printable ASCII characters, got '${fr}'`);
    const maxIoQueues = opts.maxIoQueuesPerController ?? DEFAULT_MAX_IO_QUEUES;
    if (!Number.isInteger(maxIoQueues) || maxIoQueues < 1 || maxIoQueues > 0xfffe) {
      throw new ConfigError('maxIoQueuesPerController', `expected 1..65534, got ${maxIoQueues}`);
    }
    this.settings = { firmwareRevision: fr, maxIoQueuesPerController: maxIoQueues };
    this.logSink = opts.log;
    this.owner = { discoveryChanged: () => this.discoveryChanged(), log: (level, msg) => this.log(level, msg) };
    this.discoverySubsystem = new Subsystem({ nqn: DISCOVERY_NQN, serialNumber: '', modelNumber: '' }, 'discovery', this.owner, '');
    this.subsystemMap.set(DISCOVERY_NQN, this.discoverySubsystem);
  }

  /** Discovery log generation counter: bumps on every change a host could see there. */
  get generation(): number {
    return this.genctr;
  }

  /** Every subsystem by NQN, the discovery subsystem first. */
  get subsystems(): ReadonlyMap<string, Subsystem> {
    return this.subsystemMap;
  }

  get listeners(): readonly Listener[] {
    return this.listenerList;
  }

  /**
   * Creates an NVM subsystem.
   * @throws ConfigError for an invalid or already used NQN, or a bad option
   */
  createSubsystem(opts: SubsystemOptions): Subsystem {
    if (this.subsystemMap.has(opts.nqn)) throw new ConfigError('nqn', `subsystem ${opts.nqn} already exists`);
    const serial = `NVMEKIT${String(this.nextSerial).padStart(13, '0')}`;
    const subsystem = new Subsystem(opts, 'nvme', this.owner, serial);
    this.nextSerial++;
    this.subsystemMap.set(subsystem.nqn, subsystem);
    this.log('info', `subsystem ${subsystem.nqn} created`);
    this.discoveryChanged();
    return subsystem;
  }

  getSubsystem(nqn: string): Subsystem | undefined {
    return this.subsystemMap.get(nqn);
  }

  /**
   * Deletes a subsystem and terminates its controllers.
   * @throws ConfigError for an unknown NQN or the discovery subsystem
   */
  deleteSubsystem(nqn: string): void {
    const subsystem = this.subsystemMap.get(nqn);
    if (!subsystem) throw new ConfigError('nqn', `no subsystem ${nqn}`);
    if (subsystem === this.discoverySubsystem) throw new ConfigError('nqn', 'the discovery subsystem cannot be deleted');
    this.subsystemMap.delete(nqn);
    subsystem.destroyControllers(`subsystem ${nqn} deleted`);
    this.log('info', `subsystem ${nqn} deleted`);
    this.discoveryChanged();
  }

  /**
   * Registers an address a transport listens on. Adding one that exists returns it.
   * @throws ConfigError for a malformed address
   */
  addListener(addr: ListenerAddress): Listener {
    const checked = validateListenerAddress(addr);
    const existing = this.listenerList.find((l) => sameListener(l, checked));
    if (existing) return existing;
    const listener: Listener = { ...checked, portid: this.nextPortId++ };
    this.listenerList.push(listener);
    this.log('info', `listening on ${formatListener(listener)}`);
    this.discoveryChanged();
    return listener;
  }

  /** Forgets a listener address and terminates the controllers whose admin queue came through it. @returns whether it existed */
  removeListener(addr: ListenerAddress): boolean {
    const i = this.listenerList.findIndex((l) => sameListener(l, addr));
    if (i < 0) return false;
    const [removed] = this.listenerList.splice(i, 1);
    for (const subsystem of this.subsystemMap.values()) {
      for (const ctrl of [...subsystem.controllers.values()]) {
        if (sameListener(removed!, ctrl.info)) ctrl.destroy(`listener ${formatListener(removed!)} removed`);
      }
    }
    this.log('info', `stopped listening on ${formatListener(removed!)}`);
    this.discoveryChanged();
    return true;
  }

  /** A transport accepted a connection: the queue pair it will feed. */
  createQueuePair(info: TargetConnectionInfo): NvmfQueuePair {
    return new NvmfQueuePair(this, info);
  }

  /** Terminates every controller (stops their timers). Subsystems and listeners stay configured. */
  close(reason = 'target stopped'): void {
    for (const subsystem of this.subsystemMap.values()) subsystem.destroyControllers(reason);
  }

  /** Hosts reach a subsystem through a listener of the target it is exported on. */
  findSubsystem(nqn: string, info: TargetConnectionInfo): Subsystem | undefined {
    const subsystem = this.subsystemMap.get(nqn);
    return subsystem?.isReachableVia(info) ? subsystem : undefined;
  }

  buildDiscoveryLog(hostnqn: string, info: TargetConnectionInfo): Buffer {
    return discoveryLogFor(
      { genctr: this.genctr, subsystems: this.subsystemMap.values(), listeners: this.listenerList },
      hostnqn,
      info,
    );
  }

  log(level: LogLevel, msg: string): void {
    this.logSink?.(level, msg);
  }

  private discoveryChanged(): void {
    this.genctr++;
    for (const ctrl of this.discoverySubsystem.controllers.values()) ctrl.discoveryLogChanged();
  }
}
