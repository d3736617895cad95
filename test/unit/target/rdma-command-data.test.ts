/**
 * How the NVMe/RDMA target reads SGL1 of a command capsule: in-capsule data
 * with an offset, keyed data blocks (with and without invalidate), and the
 * status each malformed descriptor fails with.
 */
import { describe, expect, it } from 'vitest';
import { FABRICS_OPCODE, IoOpcode } from '../../../src/spec/opcodes.js';
import { GenericStatus } from '../../../src/spec/status.js';
import { writeInCapsuleSgl, writeKeyedSgl, writeTransportSgl } from '../../../src/spec/sgl.js';
import { Psdt, SqeOffset, SQE_SIZE } from '../../../src/spec/sqe.js';
import { describeRdmaCommandData, RdmaDataPath, type RdmaCommandData } from '../../../src/target/transport/rdma/command-data.js';

const LIMITS = { inCapsuleDataSize: 4096, maxIoSize: 131072 };

function sqe(opc: number): Buffer {
  const b = Buffer.alloc(SQE_SIZE);
  b[SqeOffset.OPC] = opc;
  b[SqeOffset.FLAGS] = Psdt.SGL_MPTR_CONTIG << 6;
  return b;
}

function describe_(b: Buffer, received = 0): RdmaCommandData {
  const out = { path: RdmaDataPath.NONE, length: -1, capsuleOffset: -1, rkey: -1, invalidate: true, failure: null } as RdmaCommandData;
  describeRdmaCommandData(b, received, LIMITS, out);
  return out;
}

describe('describeRdmaCommandData', () => {
  it('reads a keyed write as an RDMA READ of the host buffer, with its key', () => {
    const b = sqe(IoOpcode.WRITE);
    writeKeyedSgl(b, SqeOffset.DPTR, 0x7f00_1234_5000, 65536, 0xabcdef12);
    expect(describe_(b)).toEqual({ path: RdmaDataPath.RDMA_READ, length: 65536, capsuleOffset: 0, rkey: 0xabcdef12, invalidate: false, failure: null });
  });

  it('reads a keyed read with invalidate (4Fh) as an RDMA WRITE answered by SEND_WITH_INVALIDATE', () => {
    const b = sqe(IoOpcode.READ);
    writeKeyedSgl(b, SqeOffset.DPTR, 0x1000, 4096, 0x42, true);
    expect(describe_(b)).toMatchObject({ path: RdmaDataPath.RDMA_WRITE, length: 4096, rkey: 0x42, invalidate: true });
  });

  it('reads in-capsule data at its offset when the capsule holds it', () => {
    const b = sqe(IoOpcode.WRITE);
    writeInCapsuleSgl(b, SqeOffset.DPTR, 512, 1024);
    expect(describe_(b, 2048)).toMatchObject({ path: RdmaDataPath.IN_CAPSULE, length: 512, capsuleOffset: 1024, failure: null });
  });

  it('moves nothing for a command without data, whatever its SGL says', () => {
    const b = sqe(IoOpcode.FLUSH);
    writeKeyedSgl(b, SqeOffset.DPTR, 0x1000, 4096, 1);
    expect(describe_(b)).toMatchObject({ path: RdmaDataPath.NONE, length: 0, failure: null });
  });

  it('takes the direction of a Fabrics command from FCTYPE (Connect writes its data)', () => {
    const b = sqe(FABRICS_OPCODE);
    b[4] = 0x01; // FCTYPE Connect
    writeInCapsuleSgl(b, SqeOffset.DPTR, 1024, 0);
    expect(describe_(b, 1024)).toMatchObject({ path: RdmaDataPath.IN_CAPSULE, length: 1024 });
  });

  const failures: [string, (b: Buffer) => void, number, number][] = [
    ['a keyed transfer above max_io_size', (b) => writeKeyedSgl(b, SqeOffset.DPTR, 0, 262144, 1), IoOpcode.WRITE, GenericStatus.DATA_SGL_LENGTH_INVALID],
    ['in-capsule data past the capsule limit', (b) => writeInCapsuleSgl(b, SqeOffset.DPTR, 4096, 512), IoOpcode.WRITE, GenericStatus.DATA_SGL_LENGTH_INVALID],
    ['an in-capsule offset past the capsule', (b) => writeInCapsuleSgl(b, SqeOffset.DPTR, 16, 4096), IoOpcode.WRITE, GenericStatus.SGL_OFFSET_INVALID],
    ['in-capsule data for a read', (b) => writeInCapsuleSgl(b, SqeOffset.DPTR, 512, 0), IoOpcode.READ, GenericStatus.INVALID_FIELD],
    ['an NVMe/TCP transport SGL', (b) => writeTransportSgl(b, SqeOffset.DPTR, 4096), IoOpcode.WRITE, GenericStatus.SGL_DESCRIPTOR_TYPE_INVALID],
    ['PRPs (PSDT 0)', (b) => (b[SqeOffset.FLAGS] = 0), IoOpcode.WRITE, GenericStatus.INVALID_FIELD],
  ];
  it.each(failures)('fails %s', (_what, build, opc, sc) => {
    const b = sqe(opc);
    build(b);
    const out = describe_(b, 4096);
    expect(out.failure).toMatchObject({ sct: 0, sc, dnr: true });
    expect(out.path).toBe(RdmaDataPath.NONE);
  });

  it('fails in-capsule data longer than what arrived in the capsule', () => {
    const b = sqe(IoOpcode.WRITE);
    writeInCapsuleSgl(b, SqeOffset.DPTR, 4096, 0);
    expect(describe_(b, 1024).failure?.sc).toBe(GenericStatus.DATA_SGL_LENGTH_INVALID);
  });
});
