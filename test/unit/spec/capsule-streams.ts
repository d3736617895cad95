/**
 * Test-only helper: walks the captured NVMe/TCP byte streams in
 * ../shared/vectors/nvme-tcp by the common header's PLEN and hands out the SQEs
 * of CapsuleCmd PDUs and the CQEs of CapsuleResp PDUs. Deliberately minimal:
 * the real PDU codec lives in src/spec/tcp/.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const VECTORS_DIR = fileURLToPath(new URL('../../../../shared/vectors/nvme-tcp/', import.meta.url));

const PDU_CAPSULE_CMD = 0x04;
const PDU_CAPSULE_RESP = 0x05;
const COMMON_HEADER_SIZE = 8;

export interface Capsule {
  /** Byte offset of the PDU in the stream. */
  at: number;
  /** The 64-byte SQE (CapsuleCmd) or 16-byte CQE (CapsuleResp). */
  entry: Buffer;
  /** In-capsule data (CapsuleCmd with PDO != 0), else an empty buffer. */
  data: Buffer;
}

/** Names of the captured streams for one direction, e.g. `host-to-ctrl`. */
export function streamNames(direction: 'host-to-ctrl' | 'ctrl-to-host'): string[] {
  return readdirSync(VECTORS_DIR)
    .filter((f) => f.endsWith(`.${direction}.bin`))
    .sort();
}

export function readStream(name: string): Buffer {
  return readFileSync(VECTORS_DIR + name);
}

function capsules(stream: Buffer, type: number, entrySize: number): Capsule[] {
  const found: Capsule[] = [];
  for (let at = 0; at + COMMON_HEADER_SIZE <= stream.length; ) {
    const pduType = stream[at]!;
    const pdo = stream[at + 3]!;
    const plen = stream.readUInt32LE(at + 4);
    if (plen < COMMON_HEADER_SIZE) throw new Error(`plen ${plen} at ${at}`);
    if (pduType === type) {
      const entry = stream.subarray(at + COMMON_HEADER_SIZE, at + COMMON_HEADER_SIZE + entrySize);
      // Data runs to PLEN, less the 4-byte data digest when the DDGST flag (bit 1) is set.
      const dataEnd = at + plen - ((stream[at + 1]! & 0x2) !== 0 ? 4 : 0);
      const data = pdo !== 0 ? stream.subarray(at + pdo, dataEnd) : stream.subarray(0, 0);
      found.push({ at, entry, data });
    }
    at += plen;
  }
  return found;
}

/** Every CapsuleCmd in a host-to-controller stream. */
export function commandCapsules(stream: Buffer): Capsule[] {
  return capsules(stream, PDU_CAPSULE_CMD, 64);
}

/** Every CapsuleResp in a controller-to-host stream. */
export function responseCapsules(stream: Buffer): Capsule[] {
  return capsules(stream, PDU_CAPSULE_RESP, 16);
}
