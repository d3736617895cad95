/**
 * Transport IDs in SPDK's string form:
 * `trtype:TCP adrfam:IPv4 traddr:127.0.0.1 trsvcid:4420 subnqn:nqn...`.
 */
import { isIP } from 'node:net';
import { ConfigError } from '../spec/errors.js';
import { DISCOVERY_NQN } from '../spec/fabrics.js';

/** The discovery subsystem's well-known NQN; a transport ID without `subnqn` points here. */
export { DISCOVERY_NQN };

/** Transport types, spelled as SPDK prints them. */
export type TrType = 'TCP' | 'RDMA' | 'PCIe';

/** Address families, spelled as SPDK prints them. */
export type AdrFam = 'IPv4' | 'IPv6' | 'IB' | 'FC' | 'INTRA_HOST';

/** A parsed transport ID. Optional fields are absent when the string did not give them. */
export interface TransportId {
  trtype: TrType;
  adrfam?: AdrFam;
  /** IP address, or PCI BDF for PCIe (`0000:04:00.0`). */
  traddr?: string;
  /** Port (service ID). */
  trsvcid?: string;
  /** Subsystem NQN; defaults to {@link DISCOVERY_NQN} for fabrics. */
  subnqn?: string;
  hostnqn?: string;
  /** Local address to connect from. */
  hostaddr?: string;
  hostsvcid?: string;
  /** Restrict to one namespace (nvme-perf's `ns:N`). */
  ns?: number;
  priority?: number;
  alt_traddr?: string[];
}

/** The NVMe-oF IANA port, used when a fabrics transport ID gives no `trsvcid` (as nvme-cli does). */
export const DEFAULT_TRSVCID = '4420';

const TRTYPES: readonly TrType[] = ['TCP', 'RDMA', 'PCIe'];
const ADRFAMS: readonly AdrFam[] = ['IPv4', 'IPv6', 'IB', 'FC', 'INTRA_HOST'];
const IP_FAMILY: Partial<Record<AdrFam, number>> = { IPv4: 4, IPv6: 6 };
/** Whether a trtype needs `traddr`: a PCIe transport ID without one names every local controller bound to vfio-pci. */
const TRADDR_REQUIRED: Readonly<Record<TrType, boolean>> = { TCP: true, RDMA: true, PCIe: false };
/** PCI address: optional 4-hex-digit domain, then bus:device.function; `.` may stand for `:` (the fio plugin's `0000.04.00.0`). */
const BDF_RE = /^(?:([0-9a-f]{1,4})[:.])?([0-9a-f]{1,2})[:.]([0-9a-f]{1,2})\.([0-7])$/i;
const NSID_MAX = 0xfffffffe;

type Keys = keyof TransportId;
type Setter = (t: TransportId, value: string, token: string) => void;

/** One entry per key, in the order `formatTransportId` prints them. */
const KEYS: ReadonlyArray<[Keys, Setter]> = [
  ['trtype', (t, v, token) => (t.trtype = pickCanonical(TRTYPES, v, 'trtype', token))],
  ['adrfam', (t, v, token) => (t.adrfam = pickCanonical(ADRFAMS, v, 'adrfam', token))],
  ['traddr', (t, v) => (t.traddr = v)],
  ['trsvcid', (t, v, token) => (t.trsvcid = String(parseInteger(v, 'trsvcid', token, 1, 65535)))],
  ['subnqn', (t, v) => (t.subnqn = v)],
  ['hostnqn', (t, v) => (t.hostnqn = v)],
  ['hostaddr', (t, v) => (t.hostaddr = v)],
  ['hostsvcid', (t, v, token) => (t.hostsvcid = String(parseInteger(v, 'hostsvcid', token, 0, 65535)))],
  ['ns', (t, v, token) => (t.ns = parseInteger(v, 'ns', token, 1, NSID_MAX))],
  ['priority', (t, v, token) => (t.priority = parseInteger(v, 'priority', token, 0, 0x7fffffff))],
  ['alt_traddr', (t, v) => (t.alt_traddr = [...(t.alt_traddr ?? []), v])],
];
const SETTERS = new Map(KEYS);
/** Keys that may appear more than once (SPDK keeps a list of alternate addresses). */
const REPEATABLE = new Set<Keys>(['alt_traddr']);

/**
 * Parses a transport ID string with SPDK's grammar (`spdk_nvme_transport_id_parse`):
 * whitespace-separated `key:value` or `key=value` pairs, keys case-insensitive,
 * trtype and adrfam values case-insensitive. For TCP and RDMA, `subnqn` defaults
 * to the discovery NQN, `trsvcid` to 4420, and `adrfam` to the family of an IP `traddr`.
 * A PCIe `traddr` is normalised to `dddd:bb:dd.f`; without one, a PCIe transport ID
 * stands for every local NVMe controller bound to vfio-pci.
 *
 * @throws ConfigError naming the offending token: unknown or repeated key, empty
 *   value, bad number, unknown trtype/adrfam, missing trtype or (fabrics) traddr, an
 *   address that does not match its family
 */
export function parseTransportId(s: string): TransportId {
  const partial: Partial<TransportId> = {};
  const seen = new Set<Keys>();
  for (const token of s.trim().split(/\s+/).filter((x) => x.length > 0)) {
    const sep = token.search(/[:=]/);
    if (sep <= 0) {
      throw new ConfigError(token, `expected key:value or key=value (keys: ${KEYS.map(([k]) => k).join(' ')})`);
    }
    const key = token.slice(0, sep).toLowerCase() as Keys;
    const value = token.slice(sep + 1);
    const set = SETTERS.get(key);
    if (!set) throw new ConfigError(token, `unknown key '${token.slice(0, sep)}' (keys: ${KEYS.map(([k]) => k).join(' ')})`);
    if (value.length === 0) throw new ConfigError(token, `${key} needs a value`);
    if (seen.has(key) && !REPEATABLE.has(key)) throw new ConfigError(token, `${key} given twice`);
    seen.add(key);
    set(partial as TransportId, value, token);
  }
  if (!partial.trtype) throw new ConfigError('trtype', `missing in '${s}' (one of ${TRTYPES.join(', ')})`);
  const t = partial as TransportId;
  if (!t.traddr) {
    if (TRADDR_REQUIRED[t.trtype]) throw new ConfigError('traddr', `missing in '${s}'`);
    return t;
  }
  if (t.trtype === 'PCIe') {
    t.traddr = normalizeBdf(t.traddr);
    return t;
  }
  t.traddr = checkIpAddress(t.traddr, t.adrfam, 'traddr');
  t.adrfam ??= inferAdrfam(t.traddr);
  if (t.hostaddr !== undefined) t.hostaddr = checkIpAddress(t.hostaddr, t.adrfam, 'hostaddr');
  for (const alt of t.alt_traddr ?? []) checkIpAddress(alt, t.adrfam, 'alt_traddr');
  t.trsvcid ??= DEFAULT_TRSVCID;
  t.subnqn ??= DISCOVERY_NQN;
  return t;
}

/**
 * Formats a transport ID in SPDK's key order
 * (`trtype:TCP adrfam:IPv4 traddr:127.0.0.1 trsvcid:4420 subnqn:...`), omitting absent fields.
 * `parseTransportId(formatTransportId(t))` gives `t` back.
 */
export function formatTransportId(t: TransportId): string {
  const parts: string[] = [];
  for (const [key] of KEYS) {
    const value = t[key];
    if (value === undefined) continue;
    if (Array.isArray(value)) for (const v of value) parts.push(`${key}:${v}`);
    else parts.push(`${key}:${value}`);
  }
  return parts.join(' ');
}

function pickCanonical<T extends string>(choices: readonly T[], value: string, key: string, token: string): T {
  const hit = choices.find((c) => c.toLowerCase() === value.toLowerCase());
  if (!hit) throw new ConfigError(token, `unknown ${key} '${value}' (one of ${choices.join(', ')})`);
  return hit;
}

function parseInteger(value: string, key: string, token: string, min: number, max: number): number {
  const n = /^\d+$/.test(value) ? Number(value) : NaN;
  if (!Number.isSafeInteger(n) || n < min || n > max) {
    throw new ConfigError(token, `${key} must be an integer from ${min} to ${max}, got '${value}'`);
  }
  return n;
}

/** Accepts `[v6addr]` as well as a bare IPv6 address; checks the family when one was given. */
function checkIpAddress(addr: string, adrfam: AdrFam | undefined, key: string): string {
  const bare = addr.startsWith('[') && addr.endsWith(']') ? addr.slice(1, -1) : addr;
  const family = isIP(bare);
  const want = adrfam === undefined ? undefined : IP_FAMILY[adrfam];
  if (want !== undefined && family !== want) {
    throw new ConfigError(`${key}:${addr}`, `'${addr}' is not an ${adrfam} address (adrfam:${adrfam})`);
  }
  return family === 0 ? addr : bare;
}

function inferAdrfam(traddr: string): AdrFam | undefined {
  const family = isIP(traddr);
  return family === 4 ? 'IPv4' : family === 6 ? 'IPv6' : undefined;
}

function normalizeBdf(traddr: string): string {
  const m = BDF_RE.exec(traddr);
  if (!m) throw new ConfigError(`traddr:${traddr}`, `'${traddr}' is not a PCI address like 0000:04:00.0`);
  const [, domain = '0', bus = '', dev = '', fn = ''] = m;
  return `${domain.padStart(4, '0')}:${bus.padStart(2, '0')}:${dev.padStart(2, '0')}.${fn}`.toLowerCase();
}
