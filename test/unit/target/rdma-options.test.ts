/**
 * The NVMe/RDMA transport's options (SPDK names and defaults), `rdma://` listen
 * URLs, and `nvmf_create_transport -t RDMA` parameters: all checked before any
 * RDMA library is loaded, so they run on machines without RDMA.
 */
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../../src/spec/errors.js';
import { BdevRegistry } from '../../../src/target/bdev/bdev-registry.js';
import { RpcService } from '../../../src/target/rpc/rpc-service.js';
import { NvmfTarget } from '../../../src/target/target.js';
import { formatListenUrl, parseListenUrl } from '../../../src/target/transport/listen-address.js';
import { RDMA_TRANSPORT_OPTIONS, resolveRdmaTransportOptions } from '../../../src/target/transport/rdma/options.js';

describe('RDMA transport options', () => {
  it("defaults to SPDK's RDMA transport values", () => {
    expect(resolveRdmaTransportOptions()).toEqual({
      maxQueueDepth: 128,
      maxAqDepth: 128,
      inCapsuleDataSize: 4096,
      maxIoSize: 131072,
      ioUnitSize: 8192,
      numSharedBuffers: 4095,
      acceptorBacklog: 100,
      maxReadDepth: 16,
    });
    expect(RDMA_TRANSPORT_OPTIONS.filter((o) => o.spdk).map((o) => o.rpcName)).toEqual([
      'max_queue_depth',
      'max_aq_depth',
      'in_capsule_data_size',
      'max_io_size',
      'io_unit_size',
      'num_shared_buffers',
      'acceptor_backlog',
    ]);
  });

  it.each([
    [{ maxQueueDepth: 8192 }, 'maxQueueDepth: expected an integer from 2 to 4096, got 8192'],
    [{ inCapsuleDataSize: 100 }, 'inCapsuleDataSize: expected a multiple of 16, got 100'],
    [{ maxIoSize: 100000 }, 'maxIoSize: expected a power of two, got 100000'],
    [{ ioUnitSize: 262144 }, 'ioUnitSize: expected at most max_io_size (131072), got 262144'],
    [{ numSharedBuffers: 8 }, 'numSharedBuffers: expected at least 16 (one max_io_size transfer), got 8'],
  ])('rejects %o', (opts, message) => {
    expect(() => resolveRdmaTransportOptions(opts)).toThrow(new ConfigError(message.split(':')[0]!, message.slice(message.indexOf(':') + 2)));
  });
});

describe('rdma:// listen URLs', () => {
  it.each([
    ['rdma://192.0.2.1:4420', { trtype: 'RDMA', adrfam: 'IPv4', traddr: '192.0.2.1', trsvcid: '4420' }],
    ['RDMA://[fe80::1]:0', { trtype: 'RDMA', adrfam: 'IPv6', traddr: 'fe80::1', trsvcid: '0' }],
    ['tcp://127.0.0.1:4420', { trtype: 'TCP', adrfam: 'IPv4', traddr: '127.0.0.1', trsvcid: '4420' }],
  ])('parses %s and prints it back', (url, want) => {
    const addr = parseListenUrl(url);
    expect(addr).toEqual(want);
    expect(formatListenUrl(addr)).toBe(url.replace(/^[A-Z]+/, (s) => s.toLowerCase()));
  });

  it.each([
    ['iwarp://1.2.3.4:4420', 'expected tcp://ADDR:PORT or rdma://ADDR:PORT'],
    ['rdma://1.2.3.4', 'expected tcp://ADDR:PORT or rdma://ADDR:PORT'],
    ['rdma://rxe0:4420', "expected an IPv4 or IPv6 address, got 'rxe0'"],
  ])('rejects %s naming the flag', (url, message) => {
    expect(() => parseListenUrl(url, '--listen')).toThrow(`--listen: ${message}`);
  });
});

describe('nvmf_create_transport -t RDMA', () => {
  function service(): RpcService {
    const target = new NvmfTarget();
    return new RpcService({ target, bdevs: new BdevRegistry(target) });
  }

  it('checks the RDMA bounds of a shared option and names it as SPDK does, before loading any library', async () => {
    const rpc = service();
    // TCP takes a queue of 8192; the RDMA transport does not.
    expect(() => rpc.methods.call('nvmf_create_transport', { trtype: 'RDMA', max_queue_depth: 8192 })).toThrow(
      'Invalid parameters: max_queue_depth: expected an integer from 2 to 4096, got 8192',
    );
    expect(() => rpc.methods.call('nvmf_create_transport', { trtype: 'RDMA', io_unit_size: 262144 })).toThrow(
      'Invalid parameters: io_unit_size: expected at most max_io_size (131072), got 262144',
    );
    expect(rpc.runtime.rdma).toBeNull();
    await rpc.close();
  });

  it('passes TCP-only parameters to TCP only, and lists no RDMA transport until one exists', async () => {
    const rpc = service();
    expect(rpc.methods.call('nvmf_create_transport', { trtype: 'TCP', c2h_success: false, max_read_depth: 8 })).toBe(true);
    expect(rpc.methods.call('nvmf_get_transports', {})).toEqual([expect.objectContaining({ trtype: 'TCP', c2h_success: false })]);
    expect(JSON.stringify(rpc.methods.call('nvmf_get_transports', {}))).not.toContain('max_read_depth');
    expect(() => rpc.methods.call('nvmf_get_transports', { trtype: 'RDMA' })).toThrow('Invalid parameters: trtype: no RDMA transport');
    const s = rpc.runtime.target.createSubsystem({ nqn: 'nqn.2016-06.io.nvmekit:r', explicitListeners: true });
    await expect(rpc.runtime.addListener(s, { trtype: 'RDMA', adrfam: 'IPv4', traddr: '192.0.2.1', trsvcid: '4420' })).rejects.toThrow(
      'Unable to find RDMA transport. The transport must be created first (nvmf_create_transport -t RDMA)',
    );
    await rpc.close();
  });
});
