/**
 * A namespace of a subsystem: an NSID bound to a block device, with the
 * identifiers hosts use to recognise it across paths (NGUID, UUID, EUI64).
 */
import { ConfigError } from '../spec/errors.js';
import type { BlockDevice } from './bdev/block-device.js';
import { IoStats } from './io-stats.js';

/** Identifiers of a new namespace; each defaults as SPDK's `nvmf_subsystem_add_ns` does. */
export interface NamespaceOptions {
  /** 1..maxNamespaces; default the lowest free NSID. */
  nsid?: number;
  /** Default: the block device's UUID. */
  uuid?: string;
  /** 32 hex digits; default the UUID's 16 bytes (SPDK does the same). */
  nguid?: string;
  /** 16 hex digits; default all zero, i.e. not reported. */
  eui64?: string;
}

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function hexId(key: string, value: string, digits: number): string {
  const clean = value.replace(/-/g, '').toLowerCase();
  if (!/^[0-9a-f]+$/.test(clean) || clean.length !== digits) {
    throw new ConfigError(key, `expected ${digits} hex digits, got '${value}'`);
  }
  return clean;
}

export class Namespace {
  readonly uuid: string;
  /** Lowercase hex, 32 digits. */
  readonly nguid: string;
  /** Lowercase hex, 16 digits; all zeros when not reported. */
  readonly eui64: string;
  /** Counted over the namespace's life, whichever controller did the I/O. */
  readonly stats = new IoStats();

  /** @throws ConfigError for a malformed identifier */
  constructor(
    readonly nsid: number,
    readonly bdev: BlockDevice,
    opts: NamespaceOptions = {},
  ) {
    const uuid = opts.uuid ?? bdev.uuid;
    if (!UUID_RE.test(uuid)) throw new ConfigError('uuid', `expected a UUID like 5a0c0b2e-1d2f-4e3a-9b4c-000000000001, got '${uuid}'`);
    this.uuid = uuid.toLowerCase();
    this.nguid = hexId('nguid', opts.nguid ?? this.uuid, 32);
    this.eui64 = hexId('eui64', opts.eui64 ?? '0000000000000000', 16);
  }
}
