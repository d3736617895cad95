/** Shared by the NVMe/TCP PDU tests: the golden streams, seeded chunked feeding and a recording handler. */
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { ProtocolError } from '../../../src/spec/errors.js';
import {
  crc32c,
  IcDigest,
  PduReceiver,
  PduType,
  type DataDigestError,
  type DataPlacement,
  type PduHeader,
  type PduRole,
} from '../../../src/spec/tcp/index.js';
import { mulberry32 } from '../../helpers/prng.js';

export const VECTOR_DIR = fileURLToPath(new URL('../../../../shared/vectors/nvme-tcp/', import.meta.url));

export interface VectorStream {
  name: string;
  /** The side that receives this stream. */
  role: PduRole;
  bytes: Buffer;
}

/** Every captured byte stream; host-to-ctrl is received by a controller, ctrl-to-host by a host. */
export function vectorStreams(): VectorStream[] {
  return readdirSync(VECTOR_DIR)
    .filter((f) => f.endsWith('.bin'))
    .sort()
    .map((name) => ({
      name,
      role: name.includes('.host-to-ctrl.') ? ('controller' as const) : ('host' as const),
      bytes: readFileSync(VECTOR_DIR + name),
    }));
}

/** Pushes `bytes` in chunks of 1..maxChunk bytes drawn from `seed` (the whole stream at once when maxChunk is Infinity). */
export function feed(rx: PduReceiver, bytes: Buffer, maxChunk: number, seed = 1): void {
  const rand = mulberry32(seed);
  let pos = 0;
  while (pos < bytes.length) {
    const n = maxChunk === Infinity ? bytes.length : 1 + Math.floor(rand() * maxChunk);
    rx.push(bytes.subarray(pos, pos + n));
    pos += n;
  }
}

/** One received PDU, as the tests compare it. */
export interface PduRecord {
  /** Offset of the PDU in the stream. */
  at: number;
  type: number;
  flags: number;
  hlen: number;
  pdo: number;
  plen: number;
  /** CCCID for data PDUs and R2T, CID of the SQE / CQE for capsules. */
  cid: number;
  ttag: number;
  datao: number;
  datal: number;
  /** Copies of the header bytes (HLEN) and the data. */
  header: Buffer;
  data: Buffer | null;
  dataCrc: number | null;
}

export interface Recorder {
  rx: PduReceiver;
  pdus: PduRecord[];
  errors: ProtocolError[];
  digestErrors: DataDigestError[];
  /** Header / data digests negotiated by the stream's ICReq or ICResp. */
  digests: { hdgst: boolean; ddgst: boolean };
}

/**
 * A receiver whose handler records every PDU and, like a transport, enables
 * the digests its ICReq / ICResp announce. With `place`, data is received
 * zero-copy into a fresh buffer at a random offset.
 */
export function recorder(role: PduRole, opts: { place?: boolean; maxDataLength?: number; pda?: number } = {}): Recorder {
  const pdus: PduRecord[] = [];
  const errors: ProtocolError[] = [];
  const digestErrors: DataDigestError[] = [];
  const digests = { hdgst: false, ddgst: false };
  let at = 0;
  let placed: { buf: Buffer; off: number } | null = null;
  const cidOf = (hdr: PduHeader): number => {
    if (hdr.type === PduType.CAPSULE_CMD) return hdr.sqe.readUInt16LE(2);
    if (hdr.type === PduType.CAPSULE_RESP) return hdr.cqe.readUInt16LE(12);
    return hdr.cccid;
  };
  const isData = (t: number) => t === PduType.H2C_DATA || t === PduType.C2H_DATA;
  const record = (hdr: PduHeader, data: Buffer | null): void => {
    const got = data ?? (placed ? placed.buf.subarray(placed.off, placed.off + hdr.dataLength) : null);
    pdus.push({
      at,
      type: hdr.type,
      flags: hdr.flags,
      hlen: hdr.hlen,
      pdo: hdr.pdo,
      plen: hdr.plen,
      cid: cidOf(hdr),
      ttag: hdr.type === PduType.H2C_DATA || hdr.type === PduType.R2T ? hdr.ttag : 0,
      datao: isData(hdr.type) ? hdr.datao : hdr.type === PduType.R2T ? hdr.r2to : 0,
      datal: isData(hdr.type) ? hdr.datal : hdr.type === PduType.R2T ? hdr.r2tl : 0,
      header: Buffer.from(hdr.buffer.subarray(0, hdr.hlen)),
      data: got ? Buffer.from(got) : null,
      dataCrc: got ? crc32c(got, 0, got.length) : null,
    });
    at += hdr.plen;
    placed = null;
  };
  const rx = new PduReceiver({
    role,
    maxDataLength: opts.maxDataLength ?? 1 << 20,
    pda: opts.pda ?? 0,
    handler: {
      onDataPdu: opts.place
        ? (hdr: PduHeader, place: DataPlacement) => {
            const off = (hdr.dataLength * 7) % 13;
            placed = { buf: Buffer.alloc(off + hdr.dataLength + 5), off };
            place.receiveInto(placed.buf, off);
          }
        : undefined,
      onPdu(hdr, data) {
        if (hdr.type === PduType.IC_REQ || hdr.type === PduType.IC_RESP) {
          digests.hdgst = (hdr.dgst & IcDigest.HDGST_ENABLE) !== 0;
          digests.ddgst = (hdr.dgst & IcDigest.DDGST_ENABLE) !== 0;
          rx.setDigests(digests.hdgst, digests.ddgst);
        }
        record(hdr, data);
      },
      onDataDigestError(hdr, err) {
        digestErrors.push(err);
        at += hdr.plen;
        placed = null;
      },
      onError(err) {
        errors.push(err);
      },
    },
  });
  return { rx, pdus, errors, digestErrors, digests };
}
