/**
 * The `nvme-rpc` command line: for every method, rpc.py's positional
 * arguments and flags, which request parameter each fills, and how rpc.py
 * prints the result. One table drives parsing, help and printing.
 */
import { DISCOVERY_NQN } from '../../spec/fabrics.js';
import { RDMA_TRANSPORT_OPTIONS } from '../transport/rdma/options.js';
import { TCP_TRANSPORT_OPTIONS } from '../transport/tcp/index.js';

/** How rpc.py shows a result: `dict` pretty JSON, `json` the same with a string's quotes stripped, `none` nothing. */
export type PrintMode = 'dict' | 'json' | 'none';

/**
 * `int` and `number` are parsed; `true` / `false` are switches setting the
 * parameter to that value; `bool` is a `--x` / `--no-x` pair (argparse's
 * BooleanOptionalAction), both entries naming the same parameter.
 */
export type CliArgType = 'string' | 'int' | 'number' | 'true' | 'false' | 'bool';

export interface CliArg {
  /** Commander syntax: `<nqn>` / `[block_size]` for positionals, `-b, --name <name>` for flags. */
  readonly spec: string;
  /** The request parameter it fills, dotted for nested objects (`namespace.nsid`). */
  readonly param: string;
  readonly type: CliArgType;
  readonly help: string;
}

export interface CliMethod {
  readonly name: string;
  readonly help: string;
  readonly args: readonly CliArg[];
  readonly print: PrintMode;
  /** Turns the arguments into the request's parameters where rpc.py computes them (sizes in MiB). */
  readonly finish?: (params: Record<string, unknown>) => Record<string, unknown>;
}

const arg = (spec: string, param: string, help: string, type: CliArgType = 'string'): CliArg => ({ spec, param, type, help });
const NQN = arg('<nqn>', 'nqn', 'subsystem NQN');

const LISTENER_ARGS: readonly CliArg[] = [
  arg('<nqn>', 'nqn', "subsystem NQN ('discovery' for the discovery subsystem)"),
  arg('-t, --trtype <trtype>', 'listen_address.trtype', 'transport type (tcp or rdma)'),
  arg('-a, --traddr <traddr>', 'listen_address.traddr', 'transport address (IP)'),
  arg('-f, --adrfam <adrfam>', 'listen_address.adrfam', 'address family (IPv4, IPv6); default from the address'),
  arg('-s, --trsvcid <trsvcid>', 'listen_address.trsvcid', 'transport service ID (port)'),
];

/** rpc.py's short flags for the transport options it has; ours get long flags only. */
const TRANSPORT_SHORT: Readonly<Record<string, string>> = {
  max_queue_depth: '-q',
  in_capsule_data_size: '-c',
  max_io_size: '-i',
  max_aq_depth: '-a',
  c2h_success: '-o',
  io_unit_size: '-u',
  num_shared_buffers: '-n',
  acceptor_backlog: '-l',
};

interface TransportOptionFlag {
  rpcName: string;
  unit: string;
  description: string;
}

/** Every transport's options once each; one that only some transport takes says which, as rpc.py does. */
function transportOptionArgs(tables: Readonly<Record<string, readonly TransportOptionFlag[]>>): CliArg[] {
  const owners = new Map<string, { option: TransportOptionFlag; trtypes: string[] }>();
  for (const [trtype, options] of Object.entries(tables)) {
    for (const option of options) {
      const seen = owners.get(option.rpcName);
      if (seen) seen.trtypes.push(trtype);
      else owners.set(option.rpcName, { option, trtypes: [trtype] });
    }
  }
  const all = Object.keys(tables).length;
  return [...owners.values()].map(({ option: o, trtypes }) => {
    const long = `--${o.rpcName.replace(/_/g, '-')}`;
    const short = TRANSPORT_SHORT[o.rpcName];
    const flags = short ? `${short}, ${long}` : long;
    const only = trtypes.length < all ? ` (${trtypes.join(', ')} only)` : '';
    return o.unit === 'flag'
      ? arg(flags, o.rpcName, `do not ${o.description}${only}`, 'false')
      : arg(`${flags} <n>`, o.rpcName, `${o.description}${only}`, 'int');
  });
}

const TRANSPORT_ARGS: readonly CliArg[] = [
  arg('-t, --trtype <trtype>', 'trtype', 'transport type (TCP or RDMA)'),
  arg('-m, --max-io-qpairs-per-ctrlr <n>', 'max_io_qpairs_per_ctrlr', 'most I/O queues per controller', 'int'),
  ...transportOptionArgs({ TCP: TCP_TRANSPORT_OPTIONS, RDMA: RDMA_TRANSPORT_OPTIONS }),
];

/** rpc.py's shortcut: `discovery` names the discovery subsystem. */
function discoveryShortcut(p: Record<string, unknown>): Record<string, unknown> {
  return p.nqn === 'discovery' ? { ...p, nqn: DISCOVERY_NQN } : p;
}

/** rpc.py's `total_size` is in MiB; the request wants blocks. */
function sizeToBlocks(p: Record<string, unknown>): Record<string, unknown> {
  const { total_size: mib, ...rest } = p;
  const blockSize = (p.block_size as number | undefined) ?? 512;
  return { ...rest, num_blocks: Math.floor(((mib as number) * 1024 * 1024) / blockSize) };
}

export const CLI_METHODS: readonly CliMethod[] = [
  { name: 'spdk_get_version', help: 'the target version', args: [], print: 'dict' },
  {
    name: 'rpc_get_methods',
    help: 'the methods the target has',
    args: [arg('-c, --current', 'current', 'only those callable in the present state', 'true')],
    print: 'dict',
  },
  { name: 'framework_start_init', help: 'finish initialisation (after --wait-for-rpc)', args: [], print: 'none' },
  { name: 'framework_wait_init', help: 'wait until initialisation is done', args: [], print: 'none' },
  { name: 'framework_get_subsystems', help: 'the framework subsystems and their dependencies', args: [], print: 'dict' },
  { name: 'framework_get_config', help: 'the configuration of one subsystem (bdev, nvmf)', args: [arg('<name>', 'name', 'subsystem name')], print: 'dict' },
  { name: 'save_config', help: 'the whole configuration, in the format load_config and nvme-target -c read', args: [], print: 'dict' },
  {
    name: 'load_config',
    help: 'apply a configuration read from --json-conf FILE or stdin',
    args: [arg('-j, --json-conf <file>', 'json_conf', 'the configuration file (default stdin)')],
    print: 'none',
  },
  { name: 'nvmf_create_transport', help: 'create the NVMe-oF transport', args: TRANSPORT_ARGS, print: 'none' },
  { name: 'nvmf_get_transports', help: 'the transports and their options', args: [arg('--trtype <trtype>', 'trtype', 'only this transport')], print: 'dict' },
  {
    name: 'nvmf_create_subsystem',
    help: 'create an NVM subsystem',
    args: [
      NQN,
      arg('-s, --serial-number <sn>', 'serial_number', 'serial number (Identify SN)'),
      arg('-d, --model-number <mn>', 'model_number', 'model number (Identify MN)'),
      arg('-a, --allow-any-host', 'allow_any_host', 'let any host connect', 'true'),
      arg('-m, --max-namespaces <n>', 'max_namespaces', 'highest NSID', 'int'),
    ],
    print: 'none',
  },
  { name: 'nvmf_delete_subsystem', help: 'delete a subsystem, disconnecting its hosts', args: [NQN], print: 'none' },
  { name: 'nvmf_get_subsystems', help: 'every subsystem, or the one named', args: [arg('[nqn]', 'nqn', 'subsystem NQN')], print: 'dict' },
  {
    name: 'nvmf_subsystem_add_ns',
    help: 'add a namespace (the NSID is the result; rpc.py prints nothing)',
    args: [
      NQN,
      arg('<bdev_name>', 'namespace.bdev_name', 'block device name'),
      arg('-n, --nsid <nsid>', 'namespace.nsid', 'NSID (default the lowest free)', 'int'),
      arg('-g, --nguid <nguid>', 'namespace.nguid', 'NGUID, 32 hex digits'),
      arg('-e, --eui64 <eui64>', 'namespace.eui64', 'EUI-64, 16 hex digits'),
      arg('-u, --uuid <uuid>', 'namespace.uuid', 'namespace UUID'),
    ],
    print: 'none',
  },
  { name: 'nvmf_subsystem_remove_ns', help: 'remove a namespace', args: [NQN, arg('<nsid>', 'nsid', 'NSID', 'int')], print: 'none' },
  { name: 'nvmf_subsystem_add_listener', help: 'export a subsystem on an address', args: LISTENER_ARGS, print: 'none', finish: discoveryShortcut },
  {
    name: 'nvmf_subsystem_remove_listener',
    help: 'stop exporting a subsystem on an address (closes its connections there)',
    args: LISTENER_ARGS,
    print: 'none',
    finish: discoveryShortcut,
  },
  { name: 'nvmf_subsystem_get_listeners', help: 'the addresses a subsystem is exported on', args: [NQN], print: 'dict' },
  { name: 'nvmf_subsystem_add_host', help: 'allow a host NQN', args: [NQN, arg('<host>', 'host', 'host NQN')], print: 'none' },
  { name: 'nvmf_subsystem_remove_host', help: 'disallow a host NQN (drops its controllers)', args: [NQN, arg('<host>', 'host', 'host NQN')], print: 'none' },
  {
    name: 'nvmf_subsystem_allow_any_host',
    help: 'let any host connect (--allow-any-host, -e) or only the listed ones (--no-allow-any-host, -d)',
    args: [
      NQN,
      arg('--allow-any-host', 'allow_any_host', 'any host', 'bool'),
      arg('--no-allow-any-host', 'allow_any_host', 'only listed hosts', 'bool'),
      arg('-e, --enable', 'allow_any_host', 'any host (older rpc.py)', 'true'),
      arg('-d, --disable', 'allow_any_host', 'only listed hosts (older rpc.py)', 'false'),
    ],
    print: 'none',
  },
  { name: 'nvmf_subsystem_get_controllers', help: 'the controllers of a subsystem', args: [NQN], print: 'dict' },
  { name: 'nvmf_subsystem_get_qpairs', help: 'the queue pairs of a subsystem', args: [NQN], print: 'dict' },
  { name: 'nvmf_get_stats', help: 'connection and I/O counters', args: [], print: 'dict' },
  {
    name: 'bdev_malloc_create',
    help: 'create a RAM block device; prints its name',
    args: [
      arg('<total_size>', 'total_size', 'size in MiB', 'number'),
      arg('<block_size>', 'block_size', 'block size in bytes', 'int'),
      arg('-b, --name <name>', 'name', 'device name (default Malloc<n>)'),
      arg('-u, --uuid <uuid>', 'uuid', 'device UUID'),
    ],
    print: 'json',
    finish: sizeToBlocks,
  },
  { name: 'bdev_malloc_delete', help: 'delete a RAM block device', args: [arg('<name>', 'name', 'device name')], print: 'none' },
  {
    name: 'bdev_null_create',
    help: 'create a null block device; prints its name',
    args: [
      arg('<name>', 'name', 'device name'),
      arg('<total_size>', 'total_size', 'size in MiB', 'number'),
      arg('<block_size>', 'block_size', 'block size in bytes', 'int'),
      arg('-u, --uuid <uuid>', 'uuid', 'device UUID'),
    ],
    print: 'json',
    finish: sizeToBlocks,
  },
  { name: 'bdev_null_delete', help: 'delete a null block device', args: [arg('<name>', 'name', 'device name')], print: 'none' },
  {
    name: 'bdev_aio_create',
    help: 'create a block device on a file or block device node; prints its name',
    args: [
      arg('<filename>', 'filename', 'file or block device path'),
      arg('<name>', 'name', 'device name'),
      arg('[block_size]', 'block_size', 'block size in bytes (default 512)', 'int'),
      arg('-u, --uuid <uuid>', 'uuid', 'device UUID'),
    ],
    print: 'json',
  },
  { name: 'bdev_aio_delete', help: 'delete a file block device', args: [arg('<name>', 'name', 'device name')], print: 'none' },
  {
    name: 'bdev_delay_create',
    help: 'create a delay device on another; prints its name',
    args: [
      arg('-b, --base-bdev-name <name>', 'base_bdev_name', 'device to delay'),
      arg('-d, --name <name>', 'name', 'name of the delay device'),
      arg('-r, --avg-read-latency <us>', 'avg_read_latency', 'average read latency, microseconds', 'int'),
      arg('-t, --nine-nine-read-latency <us>', 'p99_read_latency', 'p99 read latency, microseconds', 'int'),
      arg('-w, --avg-write-latency <us>', 'avg_write_latency', 'average write latency, microseconds', 'int'),
      arg('-n, --nine-nine-write-latency <us>', 'p99_write_latency', 'p99 write latency, microseconds', 'int'),
      arg('-u, --uuid <uuid>', 'uuid', 'device UUID'),
    ],
    print: 'json',
  },
  { name: 'bdev_delay_delete', help: 'delete a delay device', args: [arg('<name>', 'name', 'device name')], print: 'none' },
  {
    name: 'bdev_error_create',
    help: 'create an error injection device EE_<base_name>',
    args: [arg('<base_name>', 'base_name', 'device to wrap'), arg('-u, --uuid <uuid>', 'uuid', 'device UUID')],
    print: 'none',
  },
  { name: 'bdev_error_delete', help: 'delete an error injection device', args: [arg('<name>', 'name', 'device name')], print: 'none' },
  {
    name: 'bdev_error_inject_error',
    help: 'arm failures on an error injection device',
    args: [
      arg('<name>', 'name', 'error device name (EE_...)'),
      arg('<io_type>', 'io_type', 'read, write, unmap, flush, all or clear'),
      arg('<error_type>', 'error_type', 'failure, pending, corrupt_data or nomem'),
      arg('-n, --num <n>', 'num', 'how many I/Os (default 1)', 'int'),
      arg('--corrupt-offset <n>', 'corrupt_offset', 'byte offset to corrupt', 'int'),
      arg('--corrupt-value <n>', 'corrupt_value', 'XOR mask, 1..255', 'int'),
    ],
    print: 'none',
  },
  { name: 'bdev_get_bdevs', help: 'every block device, or the one named', args: [arg('-b, --name <name>', 'name', 'device name')], print: 'dict' },
  { name: 'bdev_get_iostat', help: 'I/O counters of every block device, or the one named', args: [arg('-b, --name <name>', 'name', 'device name')], print: 'dict' },
];

/** Sets `params[path]`, creating the objects a dotted path goes through. */
export function setParam(params: Record<string, unknown>, path: string, value: unknown): void {
  const keys = path.split('.');
  let obj = params;
  for (const k of keys.slice(0, -1)) obj = (obj[k] ??= {}) as Record<string, unknown>;
  obj[keys.at(-1)!] = value;
}

/** A result as rpc.py prints it (json.dumps with indent 2), or null when it prints nothing. */
export function formatResult(mode: PrintMode, result: unknown): string | null {
  if (mode === 'none') return null;
  const text = JSON.stringify(result, null, 2);
  return mode === 'json' ? text.replace(/^"|"$/g, '') : text;
}

/** rpc.py's error text: the request (params, method, req_id), then the error object. */
export function formatRpcError(method: string, reqId: number, params: Record<string, unknown> | undefined, error: { code: number; message: string }): string {
  return [
    'request:',
    JSON.stringify({ ...params, method, req_id: reqId }, null, 2),
    'Got JSON-RPC error response',
    'response:',
    JSON.stringify({ code: error.code, message: error.message }, null, 2),
  ].join('\n');
}
