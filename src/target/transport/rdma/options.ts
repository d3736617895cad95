/**
 * Options of the NVMe/RDMA transport, named after SPDK's `nvmf_create_transport
 * -t RDMA` parameters (lib/nvmf/rdma.c) with SPDK's defaults.
 */
import { ConfigError } from '../../../spec/errors.js';
import { multipleOf, powerOfTwo, resolveOptions, type OptionInfo } from '../option-table.js';

export interface RdmaTransportOptions {
  /** Largest I/O queue in entries (SPDK `max_queue_depth`; CAP.MQES + 1, the most HSQSIZE + 1 accepted). */
  maxQueueDepth: number;
  /** Largest admin queue in entries (SPDK `max_aq_depth`). */
  maxAqDepth: number;
  /** In-capsule data a command may carry, in bytes (SPDK `in_capsule_data_size`; IOCCSZ). */
  inCapsuleDataSize: number;
  /** Largest data transfer of one command, in bytes (SPDK `max_io_size`; MDTS). */
  maxIoSize: number;
  /** Data buffers of transfers up to this size are this size; larger ones are `maxIoSize` (SPDK `io_unit_size`). */
  ioUnitSize: number;
  /** The data buffer pool of a device holds at most this many `ioUnitSize` units (SPDK `num_shared_buffers`). */
  numSharedBuffers: number;
  /** Connect requests queued on a listener before rdma_cm refuses more (SPDK `acceptor_backlog`). */
  acceptorBacklog: number;
  /** RDMA READs in flight per queue pair at most; the host's offered IRD may lower it. Not an SPDK option (SPDK takes the device's limit). */
  maxReadDepth: number;
}

/** Every option, SPDK's first. `maxIoSize` precedes `ioUnitSize`, whose bound it is. */
export const RDMA_TRANSPORT_OPTIONS: readonly OptionInfo<RdmaTransportOptions>[] = [
  { key: 'maxQueueDepth', rpcName: 'max_queue_depth', spdk: true, unit: 'entries', defaultValue: 128, min: 2, max: 4096, description: 'largest I/O queue, in entries' },
  { key: 'maxAqDepth', rpcName: 'max_aq_depth', spdk: true, unit: 'entries', defaultValue: 128, min: 2, max: 4096, description: 'largest admin queue, in entries' },
  {
    key: 'inCapsuleDataSize',
    rpcName: 'in_capsule_data_size',
    spdk: true,
    unit: 'bytes',
    defaultValue: 4096,
    min: 0,
    max: 65536,
    check: multipleOf(16),
    description: 'bytes of write data a command capsule may carry',
  },
  {
    key: 'maxIoSize',
    rpcName: 'max_io_size',
    spdk: true,
    unit: 'bytes',
    defaultValue: 131072,
    min: 4096,
    max: 0xff_f000,
    check: powerOfTwo,
    description: 'largest data transfer of one command (MDTS)',
  },
  {
    key: 'ioUnitSize',
    rpcName: 'io_unit_size',
    spdk: true,
    unit: 'bytes',
    defaultValue: 8192,
    min: 512,
    max: 0xff_f000,
    check: powerOfTwo,
    description: 'size of the small data buffers; larger transfers take a max_io_size buffer',
  },
  {
    key: 'numSharedBuffers',
    rpcName: 'num_shared_buffers',
    spdk: true,
    unit: 'entries',
    defaultValue: 4095,
    min: 2,
    max: 1 << 20,
    description: 'data buffer pool of a device, in io_unit_size units',
  },
  { key: 'acceptorBacklog', rpcName: 'acceptor_backlog', spdk: true, unit: 'entries', defaultValue: 100, min: 1, max: 65535, description: 'pending connect requests per listener' },
  { key: 'maxReadDepth', rpcName: 'max_read_depth', spdk: false, unit: 'entries', defaultValue: 16, min: 1, max: 255, description: 'RDMA READs in flight per queue pair' },
];

/**
 * Fills defaults and checks every option.
 * @throws ConfigError naming the option (by its camelCase key) and what was expected
 */
export function resolveRdmaTransportOptions(opts: Partial<RdmaTransportOptions> = {}): RdmaTransportOptions {
  const out = resolveOptions(RDMA_TRANSPORT_OPTIONS, opts);
  if (out.ioUnitSize > out.maxIoSize) {
    throw new ConfigError('ioUnitSize', `expected at most max_io_size (${out.maxIoSize}), got ${out.ioUnitSize}`);
  }
  if (out.numSharedBuffers * out.ioUnitSize < out.maxIoSize) {
    throw new ConfigError('numSharedBuffers', `expected at least ${out.maxIoSize / out.ioUnitSize} (one max_io_size transfer), got ${out.numSharedBuffers}`);
  }
  return out;
}
