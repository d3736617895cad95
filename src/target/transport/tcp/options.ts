/**
 * Options of the NVMe/TCP transport, named after SPDK's `nvmf_create_transport`
 * parameters (camelCase here, SPDK's snake_case name beside each) with SPDK's
 * defaults, so a configuration carries over. One table drives defaults,
 * validation, the CLI's help and the RPC layer.
 */
import { multipleOf, powerOfTwo, resolveOptions, type OptionInfo } from '../option-table.js';

export interface TcpTransportOptions {
  /** Largest I/O queue in entries (SPDK `max_queue_depth`; CAP.MQES + 1). */
  maxQueueDepth: number;
  /** Largest admin queue in entries (SPDK `max_aq_depth`). */
  maxAqDepth: number;
  /** In-capsule data the I/O queues accept, in bytes (SPDK `in_capsule_data_size`; IOCCSZ). */
  inCapsuleDataSize: number;
  /** Largest data transfer of one command, in bytes (SPDK `max_io_size`; MDTS). A power of two. */
  maxIoSize: number;
  /**
   * MAXH2CDATA announced in ICResp: the most data one H2CData PDU may carry,
   * and the most one R2T asks for. SPDK announces `max_io_size`, so one R2T
   * covers any write; a smaller value makes hosts split writes across R2Ts.
   * Default: `maxIoSize`. Not an SPDK option.
   */
  maxH2CDataSize: number;
  /**
   * On a successful read, flag the last C2HData PDU SUCCESS and send no
   * CapsuleResp (SPDK `c2h_success`). Only when the CQE carries nothing else
   * (dwords 0 and 1 zero), as SPDK.
   */
  c2hSuccess: boolean;
}

/** One option of the NVMe/TCP transport's table. */
export type TcpOptionInfo = OptionInfo<TcpTransportOptions>;

/** Every transport option, SPDK's first in SPDK's order. `maxIoSize` comes before `maxH2CDataSize`, whose default it is. */
export const TCP_TRANSPORT_OPTIONS: readonly TcpOptionInfo[] = [
  {
    key: 'maxQueueDepth',
    rpcName: 'max_queue_depth',
    spdk: true,
    unit: 'entries',
    defaultValue: 128,
    min: 2,
    max: 65536,
    description: 'largest I/O queue, in entries',
  },
  {
    key: 'inCapsuleDataSize',
    rpcName: 'in_capsule_data_size',
    spdk: true,
    unit: 'bytes',
    defaultValue: 4096,
    min: 0,
    max: 131072,
    check: multipleOf(16),
    description: 'bytes of write data a command capsule may carry on I/O queues',
  },
  {
    key: 'maxIoSize',
    rpcName: 'max_io_size',
    spdk: true,
    unit: 'bytes',
    defaultValue: 131072,
    min: 4096,
    max: 16 * 1024 * 1024,
    check: powerOfTwo,
    description: 'largest data transfer of one command, in bytes (MDTS)',
  },
  {
    key: 'maxAqDepth',
    rpcName: 'max_aq_depth',
    spdk: true,
    unit: 'entries',
    defaultValue: 128,
    min: 2,
    max: 4096,
    description: 'largest admin queue, in entries',
  },
  {
    key: 'c2hSuccess',
    rpcName: 'c2h_success',
    spdk: true,
    unit: 'flag',
    defaultValue: true,
    description: 'complete successful reads with the C2HData SUCCESS flag instead of a CapsuleResp',
  },
  {
    key: 'maxH2CDataSize',
    rpcName: 'max_h2c_data_size',
    spdk: false,
    unit: 'bytes',
    defaultValue: 'maxIoSize',
    min: 4096,
    max: 16 * 1024 * 1024,
    check: multipleOf(4),
    description: 'MAXH2CDATA: most data per H2CData PDU and per R2T (default: max_io_size)',
  },
];

/**
 * Fills defaults and checks every option.
 * @throws ConfigError naming the option (by its camelCase key) and what was expected
 */
export function resolveTcpTransportOptions(opts: Partial<TcpTransportOptions> = {}): TcpTransportOptions {
  return resolveOptions(TCP_TRANSPORT_OPTIONS, opts);
}
