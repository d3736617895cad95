/**
 * A listener takes only its own transport's addresses: a TCP listener given an
 * rdma:// URL (or an RDMA ListenerAddress) refuses it before binding anything,
 * and the target's address book stays empty.
 */
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../../src/spec/errors.js';
import { NvmfTarget } from '../../../src/target/target.js';
import { listenAddressFor } from '../../../src/target/transport/listen-address.js';
import { TcpListener } from '../../../src/target/transport/tcp/index.js';

describe('listen addresses of another transport', () => {
  it('a TCP listener refuses an rdma:// URL and an RDMA address', async () => {
    const target = new NvmfTarget();
    const tcp = new TcpListener(target);
    try {
      await expect(tcp.listen('rdma://127.0.0.1:0')).rejects.toThrow(
        new ConfigError('listen', "tcp listener given an rdma:// address: expected tcp://ADDR:PORT, got 'rdma://127.0.0.1:0'"),
      );
      await expect(tcp.listen({ trtype: 'RDMA', adrfam: 'IPv4', traddr: '127.0.0.1', trsvcid: '0' })).rejects.toThrow(ConfigError);
      expect(tcp.addresses).toEqual([]);
      expect(target.listeners).toEqual([]);
      const bound = await tcp.listen('tcp://127.0.0.1:0');
      expect(bound.trtype).toBe('TCP');
      expect(target.listeners.map((l) => l.trsvcid)).toEqual([bound.trsvcid]);
    } finally {
      await tcp.close();
      target.close();
    }
  });

  it.each([
    ['TCP', 'tcp://[::1]:4420', { trtype: 'TCP', adrfam: 'IPv6', traddr: '::1', trsvcid: '4420' }],
    ['RDMA', 'rdma://192.0.2.1:4420', { trtype: 'RDMA', adrfam: 'IPv4', traddr: '192.0.2.1', trsvcid: '4420' }],
  ] as const)('a %s listener takes %s', (trtype, url, want) => {
    expect(listenAddressFor(trtype, url)).toEqual(want);
  });

  it('an RDMA listener refuses a tcp:// URL', () => {
    expect(() => listenAddressFor('RDMA', 'tcp://192.0.2.1:4420')).toThrow(
      "listen: rdma listener given a tcp:// address: expected rdma://ADDR:PORT, got 'tcp://192.0.2.1:4420'",
    );
  });
});
