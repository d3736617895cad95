/**
 * The `nvmf_*` methods: transports, subsystems, their namespaces, listeners
 * and hosts, and what is connected (SPDK's lib/nvmf/nvmf_rpc.c), with SPDK's
 * parameter names, defaults and result shapes.
 */
import { isIP } from 'node:net';
import { ConfigError, TransportError } from '../../../spec/errors.js';
import { DISCOVERY_NQN } from '../../../spec/fabrics.js';
import type { Controller } from '../../controller.js';
import type { ListenerAddress } from '../../listener.js';
import { MAX_CNTLID, MIN_CNTLID, type Subsystem } from '../../subsystem.js';
import { nqnProblem } from '../../nqn.js';
import type { NvmfQueuePair } from '../../queue-pair.js';
import { TCP_TRANSPORT_OPTIONS, type TcpTransportOptions } from '../../transport/tcp/index.js';
import { RDMA_TRANSPORT_OPTIONS, type RdmaTransportOptions } from '../../transport/rdma/index.js';
import { invalidParams, RpcError, RpcErrorCode } from '../rpc-errors.js';
import { method, type RpcMethod } from '../rpc-method.js';
import type { MethodSchema, ParamSpec } from '../rpc-schema.js';
import type { TargetRuntime } from '../target-runtime.js';

const TGT_NAME: ParamSpec = { name: 'tgt_name', type: 'string', ignored: true };
const NQN: ParamSpec = { name: 'nqn', type: 'string', required: true };

const printable = (max: number) => (v: string) => (/^[\x20-\x7e]*$/.test(v) && v.length <= max ? null : `printable ASCII of at most ${max} characters`);
const only = <T>(want: T) => (v: T) => (v === want ? null : `${JSON.stringify(want)} (the only value this target supports)`);

/** `listen_address`: SPDK's transport address object. */
export const LISTEN_ADDRESS_FIELDS: MethodSchema = [
  { name: 'trtype', type: 'string', required: true, values: ['TCP', 'RDMA'] },
  { name: 'adrfam', type: 'string', values: ['IPv4', 'IPv6'] },
  { name: 'traddr', type: 'string', required: true },
  { name: 'trsvcid', type: 'string', required: true },
];

interface ListenAddressParams {
  trtype: 'TCP' | 'RDMA';
  adrfam?: 'IPv4' | 'IPv6';
  traddr: string;
  trsvcid: string;
}

/** Fills `adrfam` from the address when absent (SPDK assumes IPv4). */
function listenerAddress(p: ListenAddressParams): ListenerAddress {
  const adrfam = p.adrfam ?? (isIP(p.traddr) === 6 ? 'IPv6' : 'IPv4');
  return { trtype: p.trtype, adrfam, traddr: p.traddr, trsvcid: p.trsvcid };
}

/** A listener address as SPDK prints it. */
export function addressJson(a: ListenerAddress): Record<string, string> {
  return { trtype: a.trtype, adrfam: a.adrfam, traddr: a.traddr, trsvcid: a.trsvcid };
}

/** The subsystem `nqn`. @throws RpcError -32602 naming `nqn` */
export function subsystemOf(rt: TargetRuntime, nqn: string): Subsystem {
  const s = rt.target.getSubsystem(nqn);
  if (!s) throw invalidParams('nqn', `Unable to find subsystem with NQN ${nqn}`);
  return s;
}

function nvmSubsystemOf(rt: TargetRuntime, nqn: string): Subsystem {
  const s = subsystemOf(rt, nqn);
  if (s.subtype === 'discovery') throw invalidParams('nqn', 'the discovery subsystem has no namespaces, hosts or controllers to change');
  return s;
}

/** The `nvmf_create_transport` parameters after decoding: SPDK names, the options of both transports among them. */
type TransportParams = { trtype: 'TCP' | 'RDMA'; max_io_qpairs_per_ctrlr?: number } & Record<string, number | boolean | string | undefined>;

/** One option as a transport's table describes it (the TCP and RDMA tables share this shape). */
interface TransportOption {
  readonly key: string;
  readonly rpcName: string;
  readonly unit: 'bytes' | 'entries' | 'flag';
  readonly min?: number;
  readonly max?: number;
  readonly check?: (value: number) => string | null;
}

/** Each transport type's option table; `nvmf_create_transport` passes a transport only the options its table has (SPDK decodes them relaxed too). */
const OPTIONS_OF: Readonly<Record<'TCP' | 'RDMA', readonly TransportOption[]>> = {
  TCP: TCP_TRANSPORT_OPTIONS,
  RDMA: RDMA_TRANSPORT_OPTIONS,
};

/**
 * The schema entry of every option name either transport has, TCP's bounds
 * where both have the name (the later entry wins); the RDMA transport checks
 * its own bounds again when it is created.
 */
const OPTION_PARAMS: ParamSpec[] = [...new Map([...RDMA_TRANSPORT_OPTIONS, ...TCP_TRANSPORT_OPTIONS].map((o) => [o.rpcName, o as TransportOption])).values()].map(
  (o): ParamSpec => (o.unit === 'flag' ? { name: o.rpcName, type: 'boolean' } : { name: o.rpcName, type: 'integer', min: o.min, max: o.max, check: o.check }),
);
const OPTION_NAMES = new Set(OPTION_PARAMS.map((p) => p.name));

const TRANSPORT_SCHEMA: MethodSchema = [
  { name: 'trtype', type: 'string', required: true, values: ['TCP', 'RDMA'] },
  TGT_NAME,
  { name: 'max_io_qpairs_per_ctrlr', type: 'integer', min: 1, max: 0xfffe },
  ...OPTION_PARAMS,
  ...[
    'io_unit_size',
    'iobuf_small_cache_size',
    'iobuf_large_cache_size',
    'sock_priority',
    'abort_timeout_sec',
    'ack_timeout',
    'data_wr_pool_size',
    'kas',
    'min_kato',
    'num_shared_buffers',
    'buf_cache_size',
    'control_msg_num',
    'max_srq_depth',
    'num_cqe',
  ]
    .filter((name) => !OPTION_NAMES.has(name))
    .map((name): ParamSpec => ({ name, type: 'integer', ignored: true })),
  ...['dif_insert_or_strip', 'zcopy', 'disable_command_passthru', 'no_srq', 'no_wr_batching'].map((name): ParamSpec => ({ name, type: 'boolean', ignored: true })),
];

/** The transport as `nvmf_get_transports` and `save_config` show it, SPDK's key order. */
export function transportJson(rt: TargetRuntime, trtype: 'TCP' | 'RDMA', opts: TcpTransportOptions | RdmaTransportOptions): Record<string, unknown> {
  const out: Record<string, unknown> = { trtype };
  const values = opts as unknown as Record<string, unknown>;
  for (const o of OPTIONS_OF[trtype]) {
    out[o.rpcName] = values[o.key];
    if (o.rpcName === 'max_queue_depth') out.max_io_qpairs_per_ctrlr = rt.target.settings.maxIoQueuesPerController;
  }
  return out;
}

/** The transports that exist, TCP first, as `[trtype, options]`. */
export function transportsOf(rt: TargetRuntime): ['TCP' | 'RDMA', TcpTransportOptions | RdmaTransportOptions][] {
  const out: ['TCP' | 'RDMA', TcpTransportOptions | RdmaTransportOptions][] = [];
  if (rt.tcp) out.push(['TCP', rt.tcp.options]);
  if (rt.rdma) out.push(['RDMA', rt.rdma.options]);
  return out;
}

/** A subsystem as `nvmf_get_subsystems` shows it: SPDK's fields, in SPDK's order. */
function subsystemJson(rt: TargetRuntime, s: Subsystem): Record<string, unknown> {
  const isDiscovery = s.subtype === 'discovery';
  // The discovery subsystem answers on every port until a listener is added to it explicitly.
  const listeners = isDiscovery && s.listeners.length === 0 ? rt.target.listeners : s.listeners;
  const common = {
    nqn: s.nqn,
    subtype: isDiscovery ? 'Discovery' : 'NVMe',
    listen_addresses: listeners.map(addressJson),
    allow_any_host: isDiscovery || s.allowAnyHost,
    hosts: [...s.hosts].map((nqn) => ({ nqn })),
  };
  if (isDiscovery) return common;
  return {
    ...common,
    serial_number: s.serialNumber,
    model_number: s.modelNumber,
    max_namespaces: s.maxNamespaces,
    passthrough: false,
    min_cntlid: MIN_CNTLID,
    max_cntlid: MAX_CNTLID,
    namespaces: [...s.namespaces.values()].map((ns) => ({
      nsid: ns.nsid,
      bdev_name: ns.bdev.name,
      name: ns.bdev.name,
      nguid: ns.nguid.toUpperCase(),
      uuid: ns.uuid,
      ...(/^0+$/.test(ns.eui64) ? {} : { eui64: ns.eui64.toUpperCase() }),
    })),
  };
}

function qpairJson(ctrl: Controller, qp: NvmfQueuePair): Record<string, unknown> {
  return {
    cntlid: ctrl.cntlid,
    qid: qp.qid,
    state: 'active',
    hostnqn: ctrl.hostnqn,
    listen_address: addressJson(qp.info),
    peer_address: { trtype: qp.info.trtype, adrfam: qp.info.adrfam, traddr: qp.info.peerAddress, trsvcid: String(qp.info.peerPort) },
  };
}

function allControllers(rt: TargetRuntime): Controller[] {
  return [...rt.target.subsystems.values()].flatMap((s) => [...s.controllers.values()]);
}

const NQN_ONLY: MethodSchema = [NQN, TGT_NAME];
const LISTENER_SCHEMA: MethodSchema = [
  NQN,
  TGT_NAME,
  { name: 'listen_address', type: 'object', required: true, fields: LISTEN_ADDRESS_FIELDS },
  { name: 'secure_channel', type: 'boolean', ignored: true, check: only(false) },
  { name: 'ana_state', type: 'string', ignored: true },
];
const HOST_SCHEMA: MethodSchema = [NQN, TGT_NAME, { name: 'host', type: 'string', required: true }];

/** The `host` parameter, checked as an NQN. */
function hostOf(host: string): string {
  const problem = nqnProblem(host);
  if (problem !== null) throw invalidParams('host', problem);
  return host;
}

export const NVMF_METHODS: readonly RpcMethod[] = [
  method<TransportParams>({
    name: 'nvmf_create_transport',
    params: TRANSPORT_SCHEMA,
    handler: (p, rt) => {
      const max = p.max_io_qpairs_per_ctrlr;
      const have = rt.target.settings.maxIoQueuesPerController;
      if (max !== undefined && max !== have) {
        throw invalidParams('max_io_qpairs_per_ctrlr', `expected ${have}, as the target was started with (nvme-target --max-io-qpairs-per-ctrlr), got ${max}`);
      }
      const table = OPTIONS_OF[p.trtype];
      const opts: Record<string, unknown> = {};
      for (const o of table) if (p[o.rpcName] !== undefined) opts[o.key] = p[o.rpcName];
      try {
        if (p.trtype === 'RDMA') rt.createRdmaTransport(opts as Partial<RdmaTransportOptions>);
        else rt.createTcpTransport(opts as Partial<TcpTransportOptions>);
      } catch (err) {
        // Name the parameter as the caller wrote it; say why a transport could not start (no libraries, no device).
        const option = err instanceof ConfigError ? table.find((o) => o.key === err.key) : undefined;
        if (option !== undefined) throw invalidParams(option.rpcName, (err as Error).message.slice(option.key.length + 2));
        if (err instanceof TransportError) throw new RpcError(RpcErrorCode.INVALID_PARAMS, `Transport type '${p.trtype}' create failed: ${err.message}`);
        throw err;
      }
      return true;
    },
  }),
  method<{ trtype?: string }>({
    name: 'nvmf_get_transports',
    params: [{ name: 'trtype', type: 'string', values: ['TCP', 'RDMA'] }, TGT_NAME],
    handler: (p, rt) => {
      const all = transportsOf(rt).filter(([trtype]) => p.trtype === undefined || trtype === p.trtype);
      if (p.trtype !== undefined && all.length === 0) throw invalidParams('trtype', `no ${p.trtype} transport`);
      return all.map(([trtype, opts]) => transportJson(rt, trtype, opts));
    },
  }),
  method<{ nqn: string; serial_number?: string; model_number?: string; allow_any_host: boolean; max_namespaces?: number }>({
    name: 'nvmf_create_subsystem',
    params: [
      NQN,
      TGT_NAME,
      { name: 'serial_number', type: 'string', check: printable(20) },
      { name: 'model_number', type: 'string', check: printable(40) },
      { name: 'allow_any_host', type: 'boolean', default: false },
      { name: 'max_namespaces', type: 'integer', min: 0, max: 1024 },
      { name: 'min_cntlid', type: 'integer', ignored: true, check: only(MIN_CNTLID) },
      { name: 'max_cntlid', type: 'integer', ignored: true, check: only(MAX_CNTLID) },
      { name: 'ana_reporting', type: 'boolean', ignored: true, check: only(false) },
      { name: 'passthrough', type: 'boolean', ignored: true, check: only(false) },
      { name: 'enable_nssr', type: 'boolean', ignored: true },
      { name: 'dmrsl', type: 'integer', ignored: true },
      { name: 'wzsl', type: 'integer', ignored: true },
      { name: 'max_discard_size_kib', type: 'integer', ignored: true },
      { name: 'max_write_zeroes_size_kib', type: 'integer', ignored: true },
    ],
    handler: (p, rt) => {
      rt.target.createSubsystem({
        nqn: p.nqn,
        serialNumber: p.serial_number,
        modelNumber: p.model_number,
        allowAnyHost: p.allow_any_host,
        // SPDK's 0 is "no limit given": the default.
        maxNamespaces: p.max_namespaces || undefined,
        explicitListeners: true,
      });
      return true;
    },
  }),
  method<{ nqn: string }>({
    name: 'nvmf_delete_subsystem',
    params: NQN_ONLY,
    handler: async (p, rt) => {
      if (p.nqn === DISCOVERY_NQN) throw invalidParams('nqn', 'the discovery subsystem cannot be deleted');
      await rt.deleteSubsystem(subsystemOf(rt, p.nqn));
      return true;
    },
  }),
  method<{ nqn?: string }>({
    name: 'nvmf_get_subsystems',
    params: [{ name: 'nqn', type: 'string' }, TGT_NAME],
    handler: (p, rt) => {
      const list = p.nqn === undefined ? [...rt.target.subsystems.values()] : [subsystemOf(rt, p.nqn)];
      return list.map((s) => subsystemJson(rt, s));
    },
  }),
  method<{ nqn: string; namespace: { bdev_name: string; nsid: number; nguid?: string; eui64?: string; uuid?: string } }>({
    name: 'nvmf_subsystem_add_ns',
    params: [
      NQN,
      TGT_NAME,
      {
        name: 'namespace',
        type: 'object',
        required: true,
        fields: [
          { name: 'bdev_name', type: 'string', required: true },
          { name: 'nsid', type: 'integer', min: 0, max: 0xfffffffe, default: 0 },
          { name: 'nguid', type: 'string' },
          { name: 'eui64', type: 'string' },
          { name: 'uuid', type: 'string' },
          { name: 'anagrpid', type: 'integer', ignored: true },
          { name: 'ptpl_file', type: 'string', ignored: true },
          { name: 'no_auto_visible', type: 'boolean', ignored: true, check: only(false) },
          { name: 'hide_metadata', type: 'boolean', ignored: true },
        ],
      },
    ],
    handler: (p, rt) => {
      const s = nvmSubsystemOf(rt, p.nqn);
      const ns = p.namespace;
      const bdev = rt.bdevs.get(ns.bdev_name);
      if (!bdev) throw invalidParams('namespace.bdev_name', `no bdev named ${ns.bdev_name}`);
      if (rt.bdevs.isClaimed(ns.bdev_name)) throw invalidParams('namespace.bdev_name', `bdev ${ns.bdev_name} is already claimed (a namespace or a virtual bdev uses it)`);
      return s.addNamespace(bdev, { nsid: ns.nsid === 0 ? undefined : ns.nsid, nguid: ns.nguid, eui64: ns.eui64, uuid: ns.uuid });
    },
  }),
  method<{ nqn: string; nsid: number }>({
    name: 'nvmf_subsystem_remove_ns',
    params: [NQN, TGT_NAME, { name: 'nsid', type: 'integer', required: true, min: 1, max: 0xfffffffe }],
    handler: (p, rt) => {
      nvmSubsystemOf(rt, p.nqn).removeNamespace(p.nsid);
      return true;
    },
  }),
  method<{ nqn: string; listen_address: ListenAddressParams }>({
    name: 'nvmf_subsystem_add_listener',
    params: LISTENER_SCHEMA,
    handler: async (p, rt) => {
      await rt.addListener(subsystemOf(rt, p.nqn), listenerAddress(p.listen_address)).catch((err: unknown) => {
        throw err instanceof TransportError ? invalidParams('listen_address', err.message) : err;
      });
      return true;
    },
  }),
  method<{ nqn: string; listen_address: ListenAddressParams }>({
    name: 'nvmf_subsystem_remove_listener',
    params: LISTENER_SCHEMA,
    handler: async (p, rt) => {
      await rt.removeListener(subsystemOf(rt, p.nqn), listenerAddress(p.listen_address));
      return true;
    },
  }),
  method<{ nqn: string }>({
    name: 'nvmf_subsystem_get_listeners',
    params: NQN_ONLY,
    handler: (p, rt) => subsystemOf(rt, p.nqn).listeners.map((l) => ({ address: addressJson(l), secure_channel: false })),
  }),
  method<{ nqn: string; host: string }>({
    name: 'nvmf_subsystem_add_host',
    params: HOST_SCHEMA,
    handler: (p, rt) => {
      nvmSubsystemOf(rt, p.nqn).addHost(hostOf(p.host));
      return true;
    },
  }),
  method<{ nqn: string; host: string }>({
    name: 'nvmf_subsystem_remove_host',
    params: HOST_SCHEMA,
    handler: (p, rt) => {
      const s = nvmSubsystemOf(rt, p.nqn);
      if (!s.hosts.has(hostOf(p.host))) throw invalidParams('host', `${p.host} is not a host of ${p.nqn}`);
      s.removeHost(p.host);
      return true;
    },
  }),
  method<{ nqn: string; allow_any_host: boolean }>({
    name: 'nvmf_subsystem_allow_any_host',
    params: [NQN, TGT_NAME, { name: 'allow_any_host', type: 'boolean', required: true }],
    handler: (p, rt) => {
      nvmSubsystemOf(rt, p.nqn).allowAnyHost = p.allow_any_host;
      return true;
    },
  }),
  method<{ nqn: string }>({
    name: 'nvmf_subsystem_get_controllers',
    params: NQN_ONLY,
    handler: (p, rt) =>
      [...subsystemOf(rt, p.nqn).controllers.values()].map((c) => ({
        cntlid: c.cntlid,
        hostnqn: c.hostnqn,
        hostid: c.hostid,
        num_io_qpairs: c.ioQueueCount,
      })),
  }),
  method<{ nqn: string }>({
    name: 'nvmf_subsystem_get_qpairs',
    params: NQN_ONLY,
    handler: (p, rt) =>
      [...subsystemOf(rt, p.nqn).controllers.values()].flatMap((c) => [
        qpairJson(c, c.adminQueue),
        ...[...c.ioQueuePairs.values()].map((qp) => qpairJson(c, qp)),
      ]),
  }),
  method<Record<string, never>>({
    name: 'nvmf_get_stats',
    params: [TGT_NAME],
    handler: (_p, rt) => {
      const ctrls = allControllers(rt);
      let completed = 0;
      for (const c of ctrls) completed += c.stats.readOps + c.stats.writeOps + c.stats.flushOps + c.stats.unmapOps + c.stats.writeZeroesOps;
      return {
        poll_groups: [
          {
            name: 'nvmf_tgt_poll_group_000',
            current_admin_qpairs: ctrls.length,
            current_io_qpairs: ctrls.reduce((n, c) => n + c.ioQueueCount, 0),
            completed_nvme_io: completed,
            transports: [
              ...(rt.tcp ? [{ trtype: 'TCP', connections: rt.tcp.connectionCount }] : []),
              ...(rt.rdma ? [{ trtype: 'RDMA', connections: rt.rdma.connectionCount }] : []),
            ],
          },
        ],
      };
    },
  }),
];
