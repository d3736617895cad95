/**
 * What the RDMA host puts on the wire without hardware: the socket address
 * rdma_cm resolves, transport ID validation, and the SGL forms of an NVMe/RDMA
 * command (keyed data block for the bounce buffer, in-capsule data, the null
 * keyed descriptor of a command without data).
 */
import { describe, expect, it } from 'vitest';
import { ConfigError, TransportError } from '../../../src/spec/errors.js';
import { decodeSgl, SglSubtype, SglType, writeInCapsuleSgl, writeKeyedSgl } from '../../../src/spec/sgl.js';
import { socketAddress } from '../../../src/native/rdmacm.js';
import { rdmaEndpoint } from '../../../src/transport/rdma/rdma-controller.js';
import { parseTransportId, type TransportId } from '../../../src/nvme-driver/transport-id.js';

describe('socketAddress', () => {
  it('encodes sockaddr_in with the port in network order', () => {
    expect(socketAddress('192.0.2.1', 4420, 4).toString('hex')).toBe('0200' + '1144' + 'c0000201' + '0000000000000000');
  });

  it('encodes sockaddr_in6, expanding ::', () => {
    const sa = socketAddress('fe80::1', 4420, 6);
    expect(sa.length).toBe(28);
    expect(sa.readUInt16LE(0)).toBe(10);
    expect(sa.subarray(8, 24).toString('hex')).toBe('fe800000000000000000000000000001');
  });

  it('refuses what is not an address', () => {
    expect(() => socketAddress('192.0.2', 4420, 4)).toThrow(TransportError);
    expect(() => socketAddress('1::2::3', 4420, 6)).toThrow(/not an IPv6 address/);
  });
});

describe('rdmaEndpoint', () => {
  it('takes traddr and trsvcid (4420 by default) from the transport ID', () => {
    const e = rdmaEndpoint(parseTransportId('trtype:RDMA adrfam:IPv4 traddr:192.0.2.1 subnqn:nqn.x'));
    expect(e.label).toBe('192.0.2.1:4420');
    expect(e.sockaddr.readUInt16BE(2)).toBe(4420);
  });

  it('names the field that cannot work', () => {
    const bad = (trid: TransportId): unknown => {
      try {
        rdmaEndpoint(trid);
      } catch (e) {
        return e;
      }
      return null;
    };
    expect(bad({ trtype: 'RDMA' })).toEqual(expect.objectContaining({ key: 'traddr' }));
    expect(bad({ trtype: 'RDMA', traddr: 'host.example' })).toEqual(expect.objectContaining({ key: 'traddr' }));
    expect(bad({ trtype: 'RDMA', adrfam: 'IPv6', traddr: '192.0.2.1' })).toEqual(expect.objectContaining({ key: 'adrfam' }));
    expect(bad({ trtype: 'RDMA', traddr: '192.0.2.1', trsvcid: '70000' })).toEqual(expect.objectContaining({ key: 'trsvcid' }));
    expect(bad({ trtype: 'RDMA', traddr: '192.0.2.1', trsvcid: '70000' })).toBeInstanceOf(ConfigError);
  });
});

describe('NVMe/RDMA SGL1 forms', () => {
  it('keyed data block (0x40): bounce buffer address, 24-bit length, rkey', () => {
    const b = Buffer.alloc(16, 0xaa);
    writeKeyedSgl(b, 0, 0x7f12_3456_7000, 131072, 0x1234abcd);
    expect(b.toString('hex')).toBe('0070563412' + '7f0000' + '000002' + 'cdab3412' + '40');
    expect(decodeSgl(b)).toEqual({ type: SglType.KEYED_DATA_BLOCK, subtype: SglSubtype.ADDRESS, address: 0x7f1234567000n, length: 131072, key: 0x1234abcd });
  });

  it('null keyed descriptor for a command without data: all zero but the identifier', () => {
    const b = Buffer.alloc(16, 0xaa);
    writeKeyedSgl(b, 0, 0, 0, 0);
    expect(b.toString('hex')).toBe('00'.repeat(15) + '40');
  });

  it('in-capsule data block (0x01) at offset 0', () => {
    const b = Buffer.alloc(16, 0xaa);
    writeInCapsuleSgl(b, 0, 4096, 0);
    expect(decodeSgl(b)).toEqual({ type: SglType.DATA_BLOCK, subtype: SglSubtype.OFFSET, address: 0n, length: 4096 });
  });
});
