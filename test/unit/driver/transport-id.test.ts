import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../../src/spec/errors.js';
import { DISCOVERY_NQN, formatTransportId, parseTransportId } from '../../../src/nvme-driver/transport-id.js';

describe('parseTransportId', () => {
  it('parses the spdk_nvme_perf -r example', () => {
    expect(parseTransportId('trtype:TCP adrfam:IPv4 traddr:127.0.0.1 trsvcid:4420 subnqn:nqn.2016-06.io.spdk:cnode1')).toEqual({
      trtype: 'TCP',
      adrfam: 'IPv4',
      traddr: '127.0.0.1',
      trsvcid: '4420',
      subnqn: 'nqn.2016-06.io.spdk:cnode1',
    });
  });

  it('accepts key=value, any key case, any trtype/adrfam case, and extra whitespace', () => {
    const t = parseTransportId('  TrType=tcp\tADRFAM=ipv6   traddr=::1  trsvcid=4421\n');
    expect(t).toEqual({ trtype: 'TCP', adrfam: 'IPv6', traddr: '::1', trsvcid: '4421', subnqn: DISCOVERY_NQN });
  });

  it('splits at the first separator, so IPv6 addresses and NQNs keep their colons', () => {
    const t = parseTransportId('trtype:rdma traddr:fe80::1:2 subnqn:nqn.2014-08.org.nvmexpress:uuid:6b1f5a3e-2f0e-4a63-9d8e-0c4c2c1b7d10');
    expect(t.trtype).toBe('RDMA');
    expect(t.traddr).toBe('fe80::1:2');
    expect(t.adrfam).toBe('IPv6');
    expect(t.subnqn).toBe('nqn.2014-08.org.nvmexpress:uuid:6b1f5a3e-2f0e-4a63-9d8e-0c4c2c1b7d10');
  });

  it('fills fabrics defaults: discovery NQN, port 4420, adrfam from the address', () => {
    expect(parseTransportId('trtype:TCP traddr:10.0.0.2')).toEqual({
      trtype: 'TCP',
      adrfam: 'IPv4',
      traddr: '10.0.0.2',
      trsvcid: '4420',
      subnqn: DISCOVERY_NQN,
    });
  });

  it('keeps a host name as traddr without guessing its family', () => {
    const t = parseTransportId('trtype:TCP traddr:localhost');
    expect(t.traddr).toBe('localhost');
    expect(t.adrfam).toBeUndefined();
  });

  it('parses PCIe addresses and normalises the BDF, without fabrics defaults', () => {
    expect(parseTransportId('trtype:PCIe traddr:0000:04:00.0')).toEqual({ trtype: 'PCIe', traddr: '0000:04:00.0' });
    expect(parseTransportId('trtype:pcie traddr:4:0.1')).toEqual({ trtype: 'PCIe', traddr: '0000:04:00.1' });
  });

  it('parses the optional keys: hostnqn, hostaddr, hostsvcid, ns, priority, repeated alt_traddr', () => {
    const t = parseTransportId(
      'trtype:TCP traddr:127.0.0.1 hostnqn:nqn.2024-01.io.test:host hostaddr:127.0.0.2 hostsvcid:5000 ns:3 priority:2 alt_traddr:127.0.0.3 alt_traddr:127.0.0.4',
    );
    expect(t).toMatchObject({
      hostnqn: 'nqn.2024-01.io.test:host',
      hostaddr: '127.0.0.2',
      hostsvcid: '5000',
      ns: 3,
      priority: 2,
      alt_traddr: ['127.0.0.3', '127.0.0.4'],
    });
  });

  const errors: [string, string, RegExp][] = [
    ['trtype:TCP traddr:127.0.0.1 color:blue', 'color:blue', /unknown key 'color'/],
    ['trtype:TCP traddr:127.0.0.1 traddr:127.0.0.2', 'traddr:127.0.0.2', /given twice/],
    ['traddr:127.0.0.1 trsvcid:4420', 'trtype', /missing/],
    ['trtype:TCP trsvcid:4420', 'traddr', /missing/],
    ['trtype:TCP traddr:127.0.0.1 ns:0', 'ns:0', /ns must be an integer from 1/],
    ['trtype:TCP traddr:127.0.0.1 ns:two', 'ns:two', /got 'two'/],
    ['trtype:TCP traddr:127.0.0.1 trsvcid:70000', 'trsvcid:70000', /trsvcid must be an integer from 1 to 65535/],
    ['trtype:TCP traddr:127.0.0.1 priority:-1', 'priority:-1', /priority must be an integer/],
    ['trtype:TCP traddr:', 'traddr:', /needs a value/],
    ['trtype:FC traddr:127.0.0.1', 'trtype:FC', /unknown trtype 'FC' \(one of TCP, RDMA, PCIe\)/],
    ['trtype:TCP adrfam:IPv5 traddr:127.0.0.1', 'adrfam:IPv5', /unknown adrfam/],
    ['trtype:TCP adrfam:IPv6 traddr:127.0.0.1', 'traddr:127.0.0.1', /not an IPv6 address/],
    ['trtype:TCP adrfam:IPv4 traddr:127.0.0.1 hostaddr:::1', 'hostaddr:::1', /not an IPv4 address/],
    ['trtype:PCIe traddr:04:00', 'traddr:04:00', /not a PCI address/],
    ['trtype:TCP 127.0.0.1', '127.0.0.1', /expected key:value/],
  ];
  it.each(errors)('%s -> ConfigError naming %s', (input, token, message) => {
    let caught: unknown;
    try {
      parseTransportId(input);
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(ConfigError);
    expect((caught as ConfigError).key).toBe(token);
    expect((caught as ConfigError).message).toMatch(message);
  });
});

describe('formatTransportId', () => {
  it("prints SPDK's key order and omits absent keys", () => {
    const t = parseTransportId('subnqn:nqn.2016-06.io.spdk:cnode1 trsvcid:4420 traddr:127.0.0.1 trtype:tcp');
    expect(formatTransportId(t)).toBe('trtype:TCP adrfam:IPv4 traddr:127.0.0.1 trsvcid:4420 subnqn:nqn.2016-06.io.spdk:cnode1');
    expect(formatTransportId({ trtype: 'PCIe', traddr: '0000:04:00.0' })).toBe('trtype:PCIe traddr:0000:04:00.0');
  });

  it('round-trips every key, alt_traddr repeated', () => {
    const s =
      'trtype:RDMA adrfam:IPv4 traddr:192.168.1.2 trsvcid:4420 subnqn:nqn.x:y hostnqn:nqn.h:1 hostaddr:192.168.1.1 hostsvcid:4000 ns:7 priority:1 alt_traddr:192.168.1.3 alt_traddr:192.168.1.4';
    expect(formatTransportId(parseTransportId(s))).toBe(s);
    expect(parseTransportId(formatTransportId(parseTransportId(s)))).toEqual(parseTransportId(s));
  });
});
