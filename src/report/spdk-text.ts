/**
 * Small printf stand-ins shared by the SPDK-style text reports, so labels and
 * value columns line up the way `spdk_nvme_identify` aligns them.
 */
import { parseTransportId, type TransportId } from '../nvme-driver/transport-id.js';

/** `label:` padded to `col` characters, then the value (SPDK pads its labels by hand to a fixed column). */
export function kv(label: string, value: string | number, col = 39): string {
  return `${(label + ':').padEnd(col)}${value}`;
}

/** A section title underlined with `=` (or `ch`) of the same length. */
export function heading(title: string, ch = '='): string[] {
  return [title, ch.repeat(title.length)];
}

export const supported = (b: boolean): string => (b ? 'Supported' : 'Not Supported');
export const yesNo = (b: boolean): string => (b ? 'Yes' : 'No');

/** `%02X`. */
export function hex2(n: number): string {
  return n.toString(16).toUpperCase().padStart(2, '0');
}

/** SPDK's print_uint128_dec: decimal up to 64 bits, `0x...` hex above (it has no 128-bit decimal printer). */
export function uint128(v: bigint): string {
  if (v >> 64n === 0n) return v.toString();
  const hi = (v >> 64n).toString(16).toUpperCase();
  const lo = (v & 0xffffffffffffffffn).toString(16).toUpperCase().padStart(16, '0');
  return `0x${hi}${lo}`;
}

/** SPDK's print_ascii_string: trailing spaces dropped, bytes outside 0x20..0x7e shown as `.`. */
export function asciiField(s: string): string {
  return s.replace(/ +$/, '').replace(/[^\x20-\x7e]/g, '.');
}

/** Kelvin as SPDK prints it: `300 Kelvin (27 Celsius)`. */
export function kelvin(k: number): string {
  return `${k} Kelvin (${k - 273} Celsius)`;
}

/**
 * The banner line naming the controller: `NVMeoF Controller at TCP (addr:... subnqn:...)`
 * for fabrics, `NVMe Controller at <BDF>` for PCIe.
 */
export function controllerBanner(trid: TransportId | string): string[] {
  const t = typeof trid === 'string' ? parseTransportId(trid) : trid;
  const rule = '='.repeat(53);
  const title =
    t.trtype === 'PCIe'
      ? `NVMe Controller at ${t.traddr ?? ''}`
      : `NVMeoF Controller at ${t.trtype} (addr:${t.traddr ?? ''} subnqn:${t.subnqn ?? ''})`;
  return [rule, title, rule];
}
