/**
 * The `bdev_*` methods (SPDK's module RPCs: bdev_malloc, bdev_null, bdev_aio,
 * bdev_delay, bdev_error, and bdev_get_bdevs / bdev_get_iostat) over the
 * target's BdevRegistry, and the `bdev` part of `save_config`.
 */
import { ConfigError } from '../../../spec/errors.js';
import type { BdevKind } from '../../bdev/bdev-registry.js';
import { ERROR_IO_TYPES, ERROR_TYPES, type ErrorIoType, type ErrorType } from '../../bdev/error-injection.js';
import type { ConfigEntry } from '../config.js';
import { RpcErrno, RpcError } from '../rpc-errors.js';
import { method, type RpcMethod } from '../rpc-method.js';
import type { MethodSchema, ParamSpec } from '../rpc-schema.js';
import type { TargetRuntime } from '../target-runtime.js';

/** Device option keys as the RPC caller knows them. */
const SPDK_KEY: Readonly<Record<string, string>> = { blockSize: 'block_size', numBlocks: 'num_blocks' };

/** Runs `fn`, naming the device options in its ConfigErrors by their SPDK parameter names. */
function spdkNames<T>(fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    const renamed = err instanceof ConfigError ? SPDK_KEY[err.key] : undefined;
    if (renamed === undefined) throw err;
    throw new ConfigError(renamed, (err as ConfigError).message.slice((err as ConfigError).key.length + 2));
  }
}

const only = <T>(want: T) => (v: T) => (v === want ? null : `${JSON.stringify(want)} (the only value this target supports)`);
const NAME: ParamSpec = { name: 'name', type: 'string', required: true };
const UUID: ParamSpec = { name: 'uuid', type: 'string' };
/** SPDK's metadata and protection information options: accepted when off, as nvmekit's devices have neither. */
const NO_METADATA: MethodSchema = [
  { name: 'md_size', type: 'integer', ignored: true, check: only(0) },
  { name: 'md_interleave', type: 'boolean', ignored: true },
  { name: 'dif_type', type: 'integer', ignored: true, check: only(0) },
  { name: 'dif_is_head_of_md', type: 'boolean', ignored: true },
  { name: 'dif_pi_format', type: 'integer', ignored: true },
  { name: 'physical_block_size', type: 'integer', ignored: true },
  { name: 'optimal_io_boundary', type: 'integer', ignored: true },
  { name: 'numa_id', type: 'integer', ignored: true },
];
const RAM_SCHEMA = (nameRequired: boolean): MethodSchema => [
  { name: 'name', type: 'string', required: nameRequired },
  { name: 'num_blocks', type: 'integer', required: true, min: 1 },
  { name: 'block_size', type: 'integer', default: 512 },
  UUID,
  ...NO_METADATA,
];

interface RamParams {
  name?: string;
  num_blocks: number;
  block_size: number;
  uuid?: string;
}

function deleteMethod(kind: BdevKind): RpcMethod {
  return method<{ name: string }>({
    name: `bdev_${kind}_delete`,
    params: [NAME],
    handler: async (p, rt) => {
      await rt.bdevs.delete(p.name, kind);
      return true;
    },
  });
}

/** Unknown names are SPDK's -19 (No such device) in the get methods. */
function existing(rt: TargetRuntime, name: string | undefined): string | undefined {
  if (name !== undefined && !rt.bdevs.lookup(name)) throw new RpcError(RpcErrno.ENODEV, `No such device: ${name}`);
  return name;
}

export const BDEV_METHODS: readonly RpcMethod[] = [
  method<RamParams>({
    name: 'bdev_malloc_create',
    params: RAM_SCHEMA(false),
    handler: (p, rt) => spdkNames(() => rt.bdevs.createMalloc({ name: p.name, numBlocks: p.num_blocks, blockSize: p.block_size, uuid: p.uuid })),
  }),
  deleteMethod('malloc'),
  method<RamParams & { name: string }>({
    name: 'bdev_null_create',
    params: RAM_SCHEMA(true),
    handler: (p, rt) => spdkNames(() => rt.bdevs.createNull({ name: p.name, numBlocks: p.num_blocks, blockSize: p.block_size, uuid: p.uuid })),
  }),
  deleteMethod('null'),
  method<{ filename: string; name: string; block_size?: number; uuid?: string }>({
    name: 'bdev_aio_create',
    params: [
      { name: 'filename', type: 'string', required: true },
      NAME,
      { name: 'block_size', type: 'integer' },
      UUID,
      { name: 'readonly', type: 'boolean', ignored: true, check: only(false) },
      { name: 'fallocate', type: 'boolean', ignored: true },
    ],
    handler: (p, rt) => spdkNames(() => rt.bdevs.createAio({ filename: p.filename, name: p.name, blockSize: p.block_size || undefined, uuid: p.uuid })),
  }),
  deleteMethod('aio'),
  method<{ base_bdev_name: string; name: string; avg_read_latency: number; p99_read_latency: number; avg_write_latency: number; p99_write_latency: number; uuid?: string }>({
    name: 'bdev_delay_create',
    params: [
      { name: 'base_bdev_name', type: 'string', required: true },
      NAME,
      { name: 'avg_read_latency', type: 'integer', required: true, min: 0 },
      { name: 'p99_read_latency', type: 'integer', required: true, min: 0 },
      { name: 'avg_write_latency', type: 'integer', required: true, min: 0 },
      { name: 'p99_write_latency', type: 'integer', required: true, min: 0 },
      UUID,
    ],
    handler: (p, rt) =>
      rt.bdevs.createDelay({
        baseBdevName: p.base_bdev_name,
        name: p.name,
        avgReadLatencyUs: p.avg_read_latency,
        p99ReadLatencyUs: p.p99_read_latency,
        avgWriteLatencyUs: p.avg_write_latency,
        p99WriteLatencyUs: p.p99_write_latency,
        uuid: p.uuid,
      }),
  }),
  deleteMethod('delay'),
  method<{ base_name: string; uuid?: string }>({
    name: 'bdev_error_create',
    params: [{ name: 'base_name', type: 'string', required: true }, UUID],
    handler: (p, rt) => {
      rt.bdevs.createError({ baseName: p.base_name, uuid: p.uuid });
      return true;
    },
  }),
  deleteMethod('error'),
  method<{ name: string; io_type: ErrorIoType; error_type: ErrorType; num: number; corrupt_offset?: number; corrupt_value?: number }>({
    name: 'bdev_error_inject_error',
    params: [
      NAME,
      { name: 'io_type', type: 'string', required: true, values: ERROR_IO_TYPES },
      { name: 'error_type', type: 'string', required: true, values: ERROR_TYPES },
      { name: 'num', type: 'integer', default: 1, min: 0 },
      { name: 'queue_depth', type: 'integer', ignored: true },
      { name: 'corrupt_offset', type: 'integer', min: 0 },
      { name: 'corrupt_value', type: 'integer', min: 0, max: 255 },
    ],
    handler: (p, rt) => {
      rt.bdevs.injectError(p.name, { ioType: p.io_type, errorType: p.error_type, num: p.num, corruptOffset: p.corrupt_offset, corruptValue: p.corrupt_value });
      return true;
    },
  }),
  method<{ name?: string }>({
    name: 'bdev_get_bdevs',
    params: [
      { name: 'name', type: 'string' },
      { name: 'timeout', type: 'integer', ignored: true },
    ],
    handler: (p, rt) => rt.bdevs.getBdevs(existing(rt, p.name)),
  }),
  method<{ name?: string }>({
    name: 'bdev_get_iostat',
    params: [
      { name: 'name', type: 'string' },
      { name: 'per_channel', type: 'boolean', ignored: true, check: only(false) },
    ],
    handler: (p, rt) => rt.bdevs.getIostat(existing(rt, p.name)),
  }),
];

/** The `bdev` part of `save_config`: every device, bases before the devices stacked on them. */
export function bdevConfigEntries(rt: TargetRuntime): ConfigEntry[] {
  return rt.bdevs.saveConfig();
}
