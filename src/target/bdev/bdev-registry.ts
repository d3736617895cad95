/**
 * The target's block devices by name (SPDK's bdev list): creation of each
 * kind with SPDK's RPC semantics, deletion with hot removal of the
 * namespaces and virtual devices built on a device, lookup by name or UUID
 * alias, and the `bdev_get_bdevs` / `bdev_get_iostat` reports.
 *
 * Every registered device is wrapped in a `MeteredBlockDevice`; that wrapper
 * is what `get()` returns and what namespaces must hold, so their I/O is
 * counted and the registry can tell which namespaces use a device.
 */
import { ConfigError } from '../../spec/errors.js';
import type { Subsystem } from '../subsystem.js';
import type { BlockDevice } from './block-device.js';
import { DelayBlockDevice } from './delay.js';
import { ErrorBlockDevice, type ErrorInjection } from './error-injection.js';
import { FileBlockDevice } from './file.js';
import { MeteredBlockDevice, nowTicks, TICK_RATE, type BdevIostatResult } from './iostat.js';
import { MallocBlockDevice } from './malloc.js';
import { NullBlockDevice } from './null.js';

/** Device kinds, named after their SPDK `bdev_<kind>_create` / `_delete` methods. */
export type BdevKind = 'malloc' | 'null' | 'aio' | 'delay' | 'error';

/** Where the registry finds namespaces (an NvmfTarget). */
export interface NamespaceHolder {
  readonly subsystems: ReadonlyMap<string, Subsystem>;
}

/** `bdev_malloc_create` / `bdev_null_create` parameters. */
export interface RamBdevParams {
  /** Default: SPDK's `Malloc<n>` / `Null<n>`. */
  name?: string;
  numBlocks: number;
  /** Default 512. */
  blockSize?: number;
  uuid?: string;
}

/** `bdev_aio_create` parameters. */
export interface AioBdevParams {
  filename: string;
  name: string;
  /** Default 512. */
  blockSize?: number;
  uuid?: string;
}

/** `bdev_delay_create` parameters (latencies in microseconds). */
export interface DelayBdevParams {
  baseBdevName: string;
  name: string;
  avgReadLatencyUs: number;
  p99ReadLatencyUs: number;
  avgWriteLatencyUs: number;
  p99WriteLatencyUs: number;
  uuid?: string;
}

/** `bdev_error_create` parameters; the device is named `EE_<baseName>`. */
export interface ErrorBdevParams {
  baseName: string;
  uuid?: string;
}

/** SPDK's I/O type names, in `supported_io_types` order. */
const IO_TYPE_NAMES = [
  'read',
  'write',
  'unmap',
  'flush',
  'reset',
  'nvme_admin',
  'nvme_io',
  'nvme_io_md',
  'write_zeroes',
  'zcopy',
  'get_zone_info',
  'zone_management',
  'zone_append',
  'compare',
  'compare_and_write',
  'abort',
  'seek_hole',
  'seek_data',
  'copy',
  'nvme_iov_md',
  'nvme_nssr',
  'write_uncorrectable',
] as const;
export type BdevIoTypeName = (typeof IO_TYPE_NAMES)[number];

/** One `bdev_get_bdevs` entry, SPDK's key order. */
export interface BdevInfo {
  name: string;
  aliases: string[];
  product_name: string;
  block_size: number;
  num_blocks: number;
  preferred_write_alignment: number;
  preferred_write_granularity: number;
  optimal_write_size: number;
  preferred_unmap_alignment: number;
  preferred_unmap_granularity: number;
  uuid: string;
  numa_id: number;
  assigned_rate_limits: { rw_ios_per_sec: number; rw_mbytes_per_sec: number; r_mbytes_per_sec: number; w_mbytes_per_sec: number };
  claimed: boolean;
  /** Present only when claimed. */
  claim_type?: 'exclusive_write';
  zoned: boolean;
  supported_io_types: Record<BdevIoTypeName, boolean>;
  driver_specific: Record<string, unknown>;
}

/** What the registry knows about one device. */
export interface BdevEntry {
  readonly kind: BdevKind;
  /** The counted device: give this to `Subsystem.addNamespace`. */
  readonly bdev: MeteredBlockDevice;
  /** SPDK `product_name`. */
  readonly productName: string;
  /** The device a virtual device (delay, error) stacks on. */
  readonly baseName?: string;
  /** Whether the caller chose the block size (`save_config` writes it back only then). */
  readonly blockSizeGiven: boolean;
}

/** One call of the `bdev` subsystem in `save_config`. */
export interface BdevConfigEntry {
  method: string;
  params: Record<string, unknown>;
}

/**
 * Per kind: SPDK's product name, what `driver_specific` holds, the params
 * `save_config` writes for it, and I/O types it lacks beyond the interface's flags.
 */
interface KindInfo {
  productName: string;
  driverSpecific(inner: BlockDevice): Record<string, unknown>;
  configParams(entry: BdevEntry): Record<string, unknown>;
  noFlush?: boolean;
  /**
   * A virtual device's close completes every I/O it holds (delayed or
   * pending) and leaves the base alone, so it may close before its I/O
   * drains; a device with a medium must drain first.
   */
  closeCompletesHeldIo?: boolean;
}

/** SPDK's metadata and DIF params of a RAM device: nvmekit devices have none. */
const NO_METADATA = { md_size: 0, dif_type: 0, dif_is_head_of_md: false, dif_pi_format: 0 };

const KINDS: Readonly<Record<BdevKind, KindInfo>> = {
  malloc: {
    productName: 'Malloc disk',
    driverSpecific: () => ({}),
    configParams: ({ bdev: d }) => ({
      name: d.name,
      num_blocks: d.numBlocks,
      block_size: d.blockSize,
      physical_block_size: d.blockSize,
      uuid: d.uuid,
      optimal_io_boundary: 0,
      ...NO_METADATA,
      numa_id: -1,
    }),
  },
  null: {
    productName: 'Null disk',
    driverSpecific: () => ({}),
    configParams: ({ bdev: d }) => ({
      name: d.name,
      num_blocks: d.numBlocks,
      block_size: d.blockSize,
      physical_block_size: d.blockSize,
      uuid: d.uuid,
      ...NO_METADATA,
    }),
    noFlush: true,
  },
  aio: {
    productName: 'AIO disk',
    driverSpecific: (d) => {
      const f = d as FileBlockDevice;
      return { aio: { filename: f.filename, block_size_override: f.blockSizeOverride, readonly: false, fallocate: f.punchesHoles } };
    },
    configParams: ({ bdev: d, blockSizeGiven }) => ({
      name: d.name,
      ...(blockSizeGiven ? { block_size: d.blockSize } : {}),
      filename: (d.inner as FileBlockDevice).filename,
      readonly: false,
      uuid: d.uuid,
    }),
  },
  delay: {
    productName: 'delay',
    driverSpecific: (d) => {
      const v = d as DelayBlockDevice;
      return { delay: { name: v.name, base_bdev_name: v.base.name, ...v.latenciesUs() } };
    },
    configParams: ({ bdev: d }) => {
      const v = d.inner as DelayBlockDevice;
      return { name: v.name, base_bdev_name: v.base.name, ...v.latenciesUs(), uuid: v.uuid };
    },
    closeCompletesHeldIo: true,
  },
  error: {
    productName: 'Error Injection Disk',
    driverSpecific: (d) => ({ error_disk: { base_bdev: (d as ErrorBlockDevice).base.name } }),
    configParams: ({ bdev: d }) => ({ base_name: (d.inner as ErrorBlockDevice).base.name, uuid: d.uuid }),
    closeCompletesHeldIo: true,
  },
};

export class BdevRegistry {
  private readonly entries = new Map<string, BdevEntry>();
  private nextMalloc = 0;
  private nextNull = 0;

  /**
   * @param holder where namespaces live (the NvmfTarget), for claims and hot removal
   * @param log where device messages go (file devices that cannot punch holes)
   */
  constructor(
    private readonly holder: NamespaceHolder,
    private readonly log?: (level: 'warn' | 'info', msg: string) => void,
  ) {}

  /** `bdev_malloc_create`. @returns the name @throws ConfigError for a taken name or a bad geometry */
  createMalloc(p: RamBdevParams): string {
    const name = p.name ?? this.freeName('Malloc', () => this.nextMalloc++);
    this.checkFree(name, p.uuid);
    return this.register('malloc', new MallocBlockDevice({ ...p, name }), p.blockSize !== undefined);
  }

  /** `bdev_null_create`. @returns the name @throws ConfigError for a taken name or a bad geometry */
  createNull(p: RamBdevParams): string {
    const name = p.name ?? this.freeName('Null', () => this.nextNull++);
    this.checkFree(name, p.uuid);
    return this.register('null', new NullBlockDevice({ ...p, name }), p.blockSize !== undefined);
  }

  /** `bdev_aio_create`: a regular file or block device. @returns the name @throws ConfigError */
  async createAio(p: AioBdevParams): Promise<string> {
    this.checkFree(p.name, p.uuid);
    const dev = await FileBlockDevice.open({ ...p, log: this.log });
    try {
      // Another create may have taken the name while the file was opening.
      this.checkFree(p.name, p.uuid);
    } catch (err) {
      dev.close(() => undefined);
      throw err;
    }
    return this.register('aio', dev, p.blockSize !== undefined);
  }

  /** `bdev_delay_create`. @returns the name @throws ConfigError for an unknown or claimed base, a taken name, bad latencies */
  createDelay(p: DelayBdevParams): string {
    this.checkFree(p.name, p.uuid);
    const base = this.claimableBase(p.baseBdevName, 'base_bdev_name');
    const dev = new DelayBlockDevice({ ...p, base: base.bdev });
    return this.register('delay', dev, false, base.bdev.name);
  }

  /** `bdev_error_create`: `EE_<baseName>`. @returns the name @throws ConfigError for an unknown or claimed base */
  createError(p: ErrorBdevParams): string {
    const base = this.claimableBase(p.baseName, 'base_name');
    this.checkFree(`EE_${base.bdev.name}`, p.uuid);
    return this.register('error', new ErrorBlockDevice(base.bdev, p.uuid), false, base.bdev.name);
  }

  /** `bdev_error_inject_error`. @throws ConfigError when `name` is not an error device, or for bad parameters */
  injectError(name: string, inj: ErrorInjection): void {
    this.errorDevice(name).injectError(inj);
  }

  /** `bdev_error_resume_pending`. @throws ConfigError when `name` is not an error device */
  resumePending(name: string): void {
    this.errorDevice(name).resumePending();
  }

  /**
   * `bdev_<kind>_delete`. As in SPDK, deleting a device in use hot-removes
   * what stands on it: virtual devices built on it are deleted first, and
   * namespaces using it are removed from their subsystems (hosts get the
   * Namespace Attribute Changed event). A device with a medium is closed
   * once its outstanding commands have completed; a virtual one fails or
   * completes at once what it holds (pending injections, delayed I/O).
   * @param kind when given, the device must be of this kind (`bdev_malloc_delete` refuses an aio device)
   * @throws ConfigError when there is no such device (of that kind)
   */
  async delete(name: string, kind?: BdevKind): Promise<void> {
    const entry = this.lookup(name);
    if (entry === undefined || (kind !== undefined && entry.kind !== kind)) {
      throw new ConfigError('name', `no ${kind === undefined ? '' : `${kind} `}block device '${name}'`);
    }
    for (const dependent of this.dependentsOf(entry.bdev.name)) await this.delete(dependent.bdev.name);
    for (const [subsystem, nsid] of this.namespacesUsing(entry.bdev)) subsystem.removeNamespace(nsid);
    this.entries.delete(entry.bdev.name);
    const drained = (): Promise<void> => new Promise((resolve) => entry.bdev.whenIdle(resolve));
    const closed = (): Promise<void> => new Promise((resolve, reject) => entry.bdev.close((err) => (err ? reject(err) : resolve())));
    if (KINDS[entry.kind].closeCompletesHeldIo) {
      await closed();
      await drained();
    } else {
      await drained();
      await closed();
    }
  }

  /** The counted device by name or UUID alias, to give to `Subsystem.addNamespace`. */
  get(nameOrAlias: string): MeteredBlockDevice | undefined {
    return this.lookup(nameOrAlias)?.bdev;
  }

  /** The registry entry by name or UUID alias. */
  lookup(nameOrAlias: string): BdevEntry | undefined {
    const byName = this.entries.get(nameOrAlias);
    if (byName) return byName;
    const uuid = nameOrAlias.toLowerCase();
    for (const e of this.entries.values()) if (e.bdev.uuid === uuid) return e;
    return undefined;
  }

  /** Every entry, in creation order. */
  list(): BdevEntry[] {
    return [...this.entries.values()];
  }

  /**
   * Whether something holds the device: a namespace, or a virtual device
   * stacked on it. SPDK refuses a new namespace or virtual device on a claimed one.
   */
  isClaimed(nameOrAlias: string): boolean {
    const entry = this.lookup(nameOrAlias);
    return entry !== undefined && this.claimed(entry);
  }

  /** The `bdev_get_bdevs` object of one device. */
  describe(entry: BdevEntry): BdevInfo {
    const kind = KINDS[entry.kind];
    const dev = entry.bdev;
    const claimed = this.claimed(entry);
    const supported: Partial<Record<BdevIoTypeName, boolean>> = {};
    for (const t of IO_TYPE_NAMES) supported[t] = false;
    supported.read = true;
    supported.write = true;
    supported.unmap = dev.supportsUnmap;
    supported.flush = !kind.noFlush;
    supported.write_zeroes = dev.supportsWriteZeroes;
    return {
      name: dev.name,
      aliases: [dev.uuid],
      product_name: kind.productName,
      block_size: dev.blockSize,
      num_blocks: dev.numBlocks,
      preferred_write_alignment: 0,
      preferred_write_granularity: 0,
      optimal_write_size: 0,
      preferred_unmap_alignment: 0,
      preferred_unmap_granularity: 0,
      uuid: dev.uuid,
      numa_id: -1,
      assigned_rate_limits: { rw_ios_per_sec: 0, rw_mbytes_per_sec: 0, r_mbytes_per_sec: 0, w_mbytes_per_sec: 0 },
      claimed,
      ...(claimed ? { claim_type: 'exclusive_write' as const } : {}),
      zoned: false,
      supported_io_types: supported as Record<BdevIoTypeName, boolean>,
      driver_specific: kind.driverSpecific(dev.inner),
    };
  }

  /**
   * `bdev_get_bdevs`: every device in creation order, or the one named.
   * @throws ConfigError when `name` is given and unknown (SPDK: -19 No such device)
   */
  getBdevs(name?: string): BdevInfo[] {
    return this.selected(name).map((e) => this.describe(e));
  }

  /**
   * `bdev_get_iostat`: counters of every device, or of the one named.
   * @throws ConfigError when `name` is given and unknown
   */
  getIostat(name?: string): BdevIostatResult {
    return {
      tick_rate: TICK_RATE,
      ticks: nowTicks(),
      bdevs: this.selected(name).map((e) => e.bdev.stat.toJSON(e.bdev.name)),
    };
  }

  /**
   * The `bdev` subsystem's part of `save_config`: one `bdev_<kind>_create`
   * per device with SPDK's params, in creation order (a base always precedes
   * the virtual devices on it, since they can only be created after it).
   */
  saveConfig(): BdevConfigEntry[] {
    return this.list().map((e) => ({ method: `bdev_${e.kind}_create`, params: KINDS[e.kind].configParams(e) }));
  }

  private selected(name: string | undefined): BdevEntry[] {
    if (name === undefined) return this.list();
    const entry = this.lookup(name);
    if (entry === undefined) throw new ConfigError('name', `no block device '${name}'`);
    return [entry];
  }

  private register(kind: BdevKind, dev: BlockDevice, blockSizeGiven: boolean, baseName?: string): string {
    const entry: BdevEntry = { kind, bdev: new MeteredBlockDevice(dev), productName: KINDS[kind].productName, blockSizeGiven, ...(baseName ? { baseName } : {}) };
    this.entries.set(dev.name, entry);
    return dev.name;
  }

  /** A new device's name and UUID must not name an existing device (UUIDs are aliases). */
  private checkFree(name: string, uuid: string | undefined): void {
    if (name.length === 0) throw new ConfigError('name', 'a block device name cannot be empty');
    if (this.lookup(name)) throw new ConfigError('name', `a block device named '${name}' already exists`);
    if (uuid !== undefined && this.lookup(uuid)) throw new ConfigError('uuid', `a block device with UUID ${uuid} already exists`);
  }

  /** SPDK's default names count up, skipping names already taken. */
  private freeName(prefix: string, next: () => number): string {
    for (;;) {
      const name = `${prefix}${next()}`;
      if (!this.lookup(name)) return name;
    }
  }

  private claimableBase(name: string, key: string): BdevEntry {
    const base = this.lookup(name);
    if (base === undefined) throw new ConfigError(key, `no block device '${name}'`);
    if (this.claimed(base)) throw new ConfigError(key, `block device '${base.bdev.name}' is already claimed (by a namespace or a virtual device)`);
    return base;
  }

  private errorDevice(name: string): ErrorBlockDevice {
    const entry = this.lookup(name);
    if (entry?.kind !== 'error') throw new ConfigError('name', `no error injection device '${name}'`);
    return entry.bdev.inner as ErrorBlockDevice;
  }

  private claimed(entry: BdevEntry): boolean {
    return this.dependentsOf(entry.bdev.name).length > 0 || this.namespacesUsing(entry.bdev).length > 0;
  }

  private dependentsOf(name: string): BdevEntry[] {
    return this.list().filter((e) => e.baseName === name);
  }

  private namespacesUsing(bdev: MeteredBlockDevice): [Subsystem, number][] {
    const found: [Subsystem, number][] = [];
    for (const subsystem of this.holder.subsystems.values()) {
      for (const [nsid, ns] of subsystem.namespaces) if (ns.bdev === bdev) found.push([subsystem, nsid]);
    }
    return found;
  }
}
