/**
 * Hex dumps in the layout of spdk_nvme_identify's `-x`: an 8-digit offset, 16
 * bytes with a `-` between the two halves, then the printable characters.
 */

const BYTES_PER_LINE = 16;
const HALF_LINE = 8;

/** True for the bytes SPDK shows as themselves (it prints space as `.` too). */
function printable(byte: number): boolean {
  return byte > 0x20 && byte < 0x7f;
}

/** The dump of `data`, one line per 16 bytes, each ending in a newline. */
export function hexDump(data: Uint8Array): string {
  let out = '';
  for (let offset = 0; offset < data.length; offset += BYTES_PER_LINE) {
    const line = data.subarray(offset, offset + BYTES_PER_LINE);
    let hex = '';
    let text = '';
    for (let i = 0; i < BYTES_PER_LINE; i++) {
      const byte = line[i];
      hex += (i === HALF_LINE ? '-' : ' ') + (byte === undefined ? '  ' : byte.toString(16).toUpperCase().padStart(2, '0'));
      if (byte !== undefined) text += printable(byte) ? String.fromCharCode(byte) : '.';
    }
    out += `${offset.toString(16).toUpperCase().padStart(8, '0')}:${hex}  ${text}\n`;
  }
  return out;
}
