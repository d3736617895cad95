/**
 * JSON views of Identify data and of the whole `nvme-identify` report. The
 * controller and namespace objects use the keys and value shapes of
 * `nvme id-ctrl -o json` / `nvme id-ns -o json` (nvme-cli 2.x), so users can
 * diff our output against nvme-cli's.
 */
import { formatTransportId } from '../nvme-driver/transport-id.js';
import type { FieldSpec } from '../spec/field-layout.js';
import { CONTROLLER_FIELDS, type IdentifyController } from '../spec/identify-controller.js';
import { NAMESPACE_FIELDS, type IdentifyNamespace } from '../spec/identify-namespace.js';
import type { CommandEffects } from '../spec/log-pages.js';
import { decodeCap, decodeCc, decodeCmbsz, decodeCsts, formatVersion } from '../spec/registers.js';
import type { IdentifyReport } from './identify-report.js';

/** A JSON value as JSON.stringify accepts it. */
export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** A bigint as a JSON number when it is exactly representable, else as a decimal string. */
export function bigintToJson(v: bigint): number | string {
  return v <= BigInt(Number.MAX_SAFE_INTEGER) && v >= -BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v.toString();
}

/**
 * One field as nvme-cli prints it: 128-bit values as decimal strings (its
 * uint128 printer), ASCII strings with their space padding back.
 */
function nvmeCliValue(f: FieldSpec, v: unknown): Json {
  switch (f.kind) {
    case 'u128':
      return (v as bigint).toString();
    case 'u64':
      return bigintToJson(v as bigint);
    case 'ascii':
      return (v as string).padEnd(f.size, ' ');
    default:
      return v as Json;
  }
}

function pick(fields: readonly FieldSpec[], keys: readonly string[], obj: Record<string, unknown>): Record<string, Json> {
  const byKey = new Map(fields.map((f) => [f.key, f]));
  const out: Record<string, Json> = {};
  for (const key of keys) {
    const f = byKey.get(key);
    if (!f) throw new Error(`no field ${key}`);
    out[key] = nvmeCliValue(f, obj[key]);
  }
  return out;
}

/** `nvme id-ctrl -o json` shape: every field in offset order, `subnqn` only when set, then `psds`. */
export function identifyControllerToNvmeCliJson(c: IdentifyController): Record<string, Json> {
  const keys = CONTROLLER_FIELDS.map((f) => f.key).filter((k) => k !== 'subnqn' || c.subnqn !== '');
  const out = pick(CONTROLLER_FIELDS, keys, c as unknown as Record<string, unknown>);
  out.psds = c.psds.map((p) => ({ ...p }));
  return out;
}

/** NPWG..NOWS are only meaningful (and only printed by nvme-cli) when NSFEAT bit 4 is set. */
const NS_OPTIMAL_IO_KEYS = ['npwg', 'npwa', 'npdg', 'npda', 'nows'] as const;
const NS_KEYS_HEAD = [
  'nsze', 'ncap', 'nuse', 'nsfeat', 'nlbaf', 'flbas', 'mc', 'dpc', 'dps', 'nmic', 'rescap', 'fpi', 'dlfeat',
  'nawun', 'nawupf', 'nacwu', 'nabsn', 'nabo', 'nabspf', 'noiob', 'nvmcap',
] as const;
const NS_KEYS_TAIL = ['nsattr', 'nvmsetid', 'mssrl', 'mcl', 'msrc', 'nulbaf', 'anagrpid', 'endgid', 'eui64', 'nguid'] as const;
const NSFEAT_OPTPERF = 0x10;

/** `nvme id-ns -o json` shape, in nvme-cli's key order. */
export function identifyNamespaceToNvmeCliJson(ns: IdentifyNamespace): Record<string, Json> {
  const keys = [
    ...NS_KEYS_HEAD,
    ...(ns.nsfeat & NSFEAT_OPTPERF ? NS_OPTIMAL_IO_KEYS : []),
    ...NS_KEYS_TAIL,
  ];
  const out = pick(NAMESPACE_FIELDS, keys, ns as unknown as Record<string, unknown>);
  out.lbafs = ns.lbafs.map((f) => ({ ...f }));
  return out;
}

/**
 * Any report value as JSON: bigints as numbers when exact else decimal
 * strings, byte arrays as hex, objects and arrays recursively.
 */
export function toJson(value: unknown): Json {
  if (typeof value === 'bigint') return bigintToJson(value);
  if (value instanceof Uint8Array) return Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('hex');
  if (Array.isArray(value)) return value.map(toJson);
  if (value !== null && typeof value === 'object') {
    const out: Record<string, Json> = {};
    for (const [k, v] of Object.entries(value)) if (v !== undefined) out[k] = toJson(v);
    return out;
  }
  return value as Json;
}

function hexRegister(v: number | bigint, digits: number): string {
  return `0x${v.toString(16).padStart(digits, '0')}`;
}

/** Only the opcodes the controller supports, each with its opcode number. */
function supportedEffects(entries: CommandEffects[]): Json {
  return entries.flatMap((e, opcode) => (e.csupp ? [toJson({ opcode, ...e })] : []));
}

/**
 * The whole report as JSON: controller and namespaces with nvme-cli's keys,
 * registers raw and decoded, logs and features decoded. Unused error log
 * entries and unsupported opcodes are left out.
 */
export function identifyReportToJson(report: IdentifyReport): Record<string, Json> {
  const { registers: r, logs, discovery } = report;
  return {
    trid: typeof report.trid === 'string' ? report.trid : formatTransportId(report.trid),
    registers: {
      cap: { raw: hexRegister(r.cap, 16), ...toJson(decodeCap(r.cap)) as Record<string, Json> },
      vs: { raw: hexRegister(r.vs, 8), version: formatVersion(r.vs) },
      ...(r.cc === undefined ? {} : { cc: { raw: hexRegister(r.cc, 8), ...decodeCc(r.cc) } }),
      ...(r.csts === undefined ? {} : { csts: { raw: hexRegister(r.csts, 8), ...decodeCsts(r.csts) } }),
      ...(r.cmbsz === undefined ? {} : { cmbsz: { raw: hexRegister(r.cmbsz, 8), ...decodeCmbsz(r.cmbsz) } }),
    },
    controller: identifyControllerToNvmeCliJson(report.controller),
    ...(report.maxIoQueues === undefined ? {} : { maxIoQueues: report.maxIoQueues }),
    namespaces: report.namespaces.map((ns) => ({
      nsid: ns.nsid,
      ...identifyNamespaceToNvmeCliJson(ns.data),
      ...(ns.descriptors ? { descriptors: toJson(ns.descriptors) } : {}),
      ...(ns.errorRecovery ? { errorRecovery: toJson(ns.errorRecovery) } : {}),
    })),
    ...(logs
      ? {
          logs: toJson({
            ...logs,
            errors: logs.errors?.filter((e) => e.error_count !== 0n),
            effects: logs.effects && { admin: supportedEffects(logs.effects.admin), io: supportedEffects(logs.effects.io) },
          }),
        }
      : {}),
    ...(report.features ? { features: toJson(report.features) } : {}),
    ...(discovery ? { discovery: toJson(discovery) } : {}),
  };
}
