/**
 * Every PDU of every captured Linux / SPDK NVMe/TCP stream decodes in any
 * chunking, with digests verified, and re-encodes to the captured bytes.
 */
import { describe, expect, it } from 'vitest';
import {
  encodeC2HData,
  encodeCapsuleCmd,
  encodeCapsuleResp,
  encodeDataDigest,
  encodeH2CData,
  encodeIcReq,
  encodeIcResp,
  encodeR2T,
  PduFlag,
  PduHeader,
  pduFormat,
  PduType,
  setCapsuleSgl,
  parseIcReq,
  parseIcResp,
  type PduFormat,
} from '../../../src/spec/tcp/index.js';
import { feed, recorder, vectorStreams, type PduRecord } from './helpers.js';

const streams = vectorStreams();

/** The fields whose sequence must not depend on chunking. */
function summary(p: PduRecord): string {
  return [p.at, p.type, p.hlen, p.plen, p.pdo, p.cid, p.ttag, p.datao, p.datal, p.flags, p.dataCrc].join(' ');
}

function decodeWhole(bytes: Buffer, role: 'host' | 'controller', place = false) {
  const rec = recorder(role, { place });
  feed(rec.rx, bytes, Infinity);
  return rec;
}

describe('captured NVMe/TCP streams', () => {
  it('are all present, in both directions, with and without digests', () => {
    expect(streams.length).toBe(28);
    expect(streams.filter((s) => s.role === 'host').length).toBe(14);
    expect(streams.some((s) => s.name.includes('digests'))).toBe(true);
    expect(streams.some((s) => s.name.includes('plain'))).toBe(true);
  });

  for (const s of streams) {
    describe(s.name, () => {
      const reference = decodeWhole(s.bytes, s.role);

      it('decodes whole, every PDU, ending on a PDU boundary', () => {
        expect(reference.errors).toEqual([]);
        expect(reference.digestErrors).toEqual([]);
        expect(reference.rx.atPduBoundary).toBe(true);
        const last = reference.pdus[reference.pdus.length - 1]!;
        expect(last.at + last.plen).toBe(s.bytes.length);
        expect(reference.pdus[0]!.type).toBe(s.role === 'host' ? PduType.IC_RESP : PduType.IC_REQ);
      });

      it('negotiates digests from its ICReq/ICResp and carries them on every later PDU', () => {
        const withDigests = s.name.includes('-digests');
        expect(reference.digests).toEqual({ hdgst: withDigests, ddgst: withDigests });
        for (const p of reference.pdus.slice(1)) {
          expect((p.flags & PduFlag.HDGSTF) !== 0).toBe(withDigests);
          expect((p.flags & PduFlag.DDGSTF) !== 0).toBe(withDigests && p.data !== null);
        }
      });

      it('yields the same PDUs in any chunking, byte by byte included, and with zero-copy placement', () => {
        const want = reference.pdus.map(summary);
        const runs: { maxChunk: number; seed: number; place: boolean }[] = [
          { maxChunk: 1, seed: 1, place: false },
          { maxChunk: 1, seed: 1, place: true },
          { maxChunk: 7, seed: 2, place: true },
          { maxChunk: 100, seed: 3, place: false },
          { maxChunk: 1500, seed: 4, place: true },
          { maxChunk: 9000, seed: 5, place: false },
          { maxChunk: 70000, seed: 6, place: true },
          { maxChunk: 70000, seed: 7, place: false },
          { maxChunk: Infinity, seed: 0, place: true },
        ];
        for (const run of runs) {
          const rec = recorder(s.role, { place: run.place });
          feed(rec.rx, s.bytes, run.maxChunk, run.seed);
          expect(rec.errors, JSON.stringify(run)).toEqual([]);
          expect(rec.rx.atPduBoundary).toBe(true);
          expect(rec.pdus.map(summary), JSON.stringify(run)).toEqual(want);
        }
      });

      it('re-encodes every PDU to the captured bytes: headers, padding, digests and data', () => {
        let fmt: PduFormat = pduFormat(false, false);
        const out = Buffer.alloc(256 + (1 << 20));
        for (const p of reference.pdus) {
          const hdr = new PduHeader(p.header);
          let n: number;
          switch (p.type) {
            case PduType.IC_REQ: {
              const ic = parseIcReq(hdr);
              n = encodeIcReq(out, 0, ic);
              fmt = pduFormat(ic.hdgst, ic.ddgst);
              break;
            }
            case PduType.IC_RESP: {
              const ic = parseIcResp(hdr);
              n = encodeIcResp(out, 0, ic);
              fmt = pduFormat(ic.hdgst, ic.ddgst);
              break;
            }
            case PduType.CAPSULE_CMD:
              n = encodeCapsuleCmd(out, 0, fmt, hdr.sqe, 0, p.data?.length ?? 0);
              break;
            case PduType.CAPSULE_RESP:
              n = encodeCapsuleResp(out, 0, fmt, hdr.cqe, 0);
              break;
            case PduType.H2C_DATA:
              n = encodeH2CData(out, 0, fmt, hdr.cccid, hdr.ttag, hdr.datao, hdr.datal, hdr.last);
              break;
            case PduType.C2H_DATA:
              n = encodeC2HData(out, 0, fmt, hdr.cccid, hdr.datao, hdr.datal, hdr.last, hdr.success);
              break;
            case PduType.R2T:
              n = encodeR2T(out, 0, fmt, hdr.cccid, hdr.ttag, hdr.r2to, hdr.r2tl);
              break;
            default:
              throw new Error(`unexpected ${hdr.typeName} in a capture`);
          }
          if (p.data) {
            expect(n).toBe(p.pdo);
            n += p.data.copy(out, n);
            if (fmt.ddgst) n += encodeDataDigest(out, n, p.data, 0, p.data.length);
          }
          expect(n, `PDU at ${p.at}`).toBe(p.plen);
          expect(out.subarray(0, n).equals(s.bytes.subarray(p.at, p.at + p.plen)), `PDU at ${p.at}`).toBe(true);
        }
      });
    });
  }
});

describe('command capsule SGLs', () => {
  it('setCapsuleSgl reproduces the SGL1 and PSDT of every captured data-moving command', () => {
    const checked = { inCapsule: new Set<string>(), transport: new Set<string>() };
    for (const s of streams.filter((x) => x.role === 'controller')) {
      for (const p of decodeWhole(s.bytes, s.role).pdus) {
        if (p.type !== PduType.CAPSULE_CMD) continue;
        const sqe = p.header.subarray(8, 72);
        const length = sqe.readUInt32LE(24 + 8);
        const id = sqe[24 + 15];
        const inCapsule = p.data !== null;
        if (id !== (inCapsule ? 0x01 : 0x5a) || (inCapsule && length === 0)) continue;
        const copy = Buffer.from(sqe);
        copy.fill(0xee, 24, 40);
        copy[1] = 0;
        setCapsuleSgl(copy, 0, length, inCapsule);
        expect(copy.equals(sqe), `${s.name} PDU at ${p.at}`).toBe(true);
        checked[inCapsule ? 'inCapsule' : 'transport'].add(s.name.split('-')[0]!);
      }
    }
    expect([...checked.inCapsule].sort()).toEqual(['linux', 'spdk']);
    expect([...checked.transport].sort()).toEqual(['linux', 'spdk']);
  });
});

describe('C2HData completion styles', () => {
  /** Completes commands as a host does: by CapsuleResp, or by a C2HData with SUCCESS. */
  function completions(base: string) {
    const cmds = decodeWhole(streams.find((s) => s.name === `${base}.host-to-ctrl.bin`)!.bytes, 'controller').pdus;
    const rsps = decodeWhole(streams.find((s) => s.name === `${base}.ctrl-to-host.bin`)!.bytes, 'host').pdus;
    const submitted = cmds.filter((p) => p.type === PduType.CAPSULE_CMD).length;
    let byResp = 0;
    let bySuccess = 0;
    for (const p of rsps) {
      if (p.type === PduType.CAPSULE_RESP) byResp++;
      if (p.type === PduType.C2H_DATA && (p.flags & PduFlag.SUCCESS) !== 0) bySuccess++;
    }
    const c2h = rsps.filter((p) => p.type === PduType.C2H_DATA);
    return { submitted, byResp, bySuccess, c2h };
  }

  it('Linux: every C2HData is followed by a separate CapsuleResp, never SUCCESS', () => {
    const { c2h, bySuccess, byResp, submitted } = completions('linux-host-to-linux-nvmet-tcp-digests.conn2');
    expect(c2h.length).toBeGreaterThan(0);
    expect(bySuccess).toBe(0);
    expect(c2h.every((p) => p.flags === (PduFlag.HDGSTF | PduFlag.DDGSTF | PduFlag.LAST_PDU))).toBe(true);
    expect(byResp).toBe(submitted);
  });

  it('SPDK: the last C2HData carries SUCCESS (flags 0x0f) and replaces the CapsuleResp', () => {
    const { c2h, bySuccess, byResp, submitted } = completions('spdk-perf-to-spdk-nvmf-tgt-tcp-digests.conn5');
    expect(c2h.length).toBe(4);
    expect(c2h.every((p) => p.flags === 0x0f)).toBe(true);
    expect(bySuccess).toBe(4);
    expect(byResp + bySuccess).toBe(submitted);
  });
});

describe('payloads', () => {
  const block = Buffer.from('nvmekit-vector-4k-pattern-block!'.repeat(128));

  it('the Linux 4 KiB in-capsule write and 128 KiB H2CData write carry the documented pattern', () => {
    for (const kind of ['digests', 'plain']) {
      const s = streams.find((x) => x.name === `linux-host-to-linux-nvmet-tcp-${kind}.conn2.host-to-ctrl.bin`)!;
      const pdus = decodeWhole(s.bytes, 'controller', true).pdus;
      const write4k = pdus.find((p) => p.type === PduType.CAPSULE_CMD && p.data?.length === 4096)!;
      expect(write4k.data!.equals(block)).toBe(true);
      const h2c = pdus.filter((p) => p.type === PduType.H2C_DATA);
      expect(h2c.map((p) => p.datal)).toEqual([131072]);
      for (let i = 0; i < 32; i++) expect(h2c[0]!.data!.subarray(i * 4096, (i + 1) * 4096).equals(block)).toBe(true);
    }
  });
});
