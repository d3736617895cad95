import { describe, expect, it } from 'vitest';
import {
  buildDiscoveryLog,
  DISCOVERY_LOG_ENTRY_FIELDS,
  discoveryLogHeaderGenctr,
  discoveryLogHeaderNumrec,
  DiscAdrFam,
  discAdrFamCode,
  discAdrFamName,
  DiscSubType,
  DiscTrType,
  discTrTypeCode,
  discTrTypeName,
  parseDiscoveryLog,
  Treq,
  type DiscoveryLogEntry,
} from '../../../src/spec/discovery-log.js';
import { LogPageId } from '../../../src/spec/log-pages.js';
import { loadCapturedCommands, logPagePayloads, readVector } from '../../helpers/nvme-tcp-capture.js';

const LINUX = 'linux-host-to-linux-nvmet-tcp-plain';
const SPDK = 'spdk-identify-to-spdk-nvmf-tgt-tcp';

/** The full-page read (header + every record) among a connection's discovery log reads. */
function fullPage(name: string, conn: number): Buffer {
  const reads = logPagePayloads(loadCapturedCommands(name, conn), LogPageId.DISCOVERY);
  const header = reads.find((r) => r.data.length === 1024);
  if (!header) throw new Error('no header read');
  const size = 1024 * (1 + discoveryLogHeaderNumrec(header.data));
  const full = reads.find((r) => r.data.length === size);
  if (!full) throw new Error(`no ${size}-byte read`);
  return full.data;
}

/** Parses nvme-cli's `nvme discover` text into one key/value record per entry. */
function parseNvmeCliDiscover(text: string): { numrec: number; genctr: number; entries: Record<string, string>[] } {
  const head = /Number of Records (\d+), Generation counter (\d+)/.exec(text);
  if (!head) throw new Error('no header line');
  const entries: Record<string, string>[] = [];
  for (const line of text.split('\n')) {
    if (line.startsWith('=====Discovery Log Entry')) entries.push({});
    const kv = /^(\w+):\s+(.*)$/.exec(line);
    if (kv && entries.length) entries[entries.length - 1]![kv[1]!] = kv[2]!;
  }
  return { numrec: Number(head[1]), genctr: Number(head[2]), entries };
}

/** nvme-cli's words for the codes in the Linux capture (libnvme's nvmf_*_str tables). */
const CLI_TRTYPE: Record<number, string> = { [DiscTrType.TCP]: 'tcp' };
const CLI_ADRFAM: Record<number, string> = { [DiscAdrFam.IPV4]: 'ipv4' };
const CLI_SUBTYPE: Record<number, string> = {
  [DiscSubType.NVME]: 'nvme subsystem',
  [DiscSubType.CURRENT_DISCOVERY]: 'current discovery subsystem',
};

describe('Discovery Log Page layout', () => {
  it('pins entry offsets', () => {
    const at = (k: string) => DISCOVERY_LOG_ENTRY_FIELDS.find((f) => f.key === k)?.offset;
    expect([at('portid'), at('cntlid'), at('asqsz'), at('eflags')]).toEqual([4, 6, 8, 10]);
    expect([at('trsvcid'), at('subnqn'), at('traddr')]).toEqual([32, 256, 512]);
  });
});

describe('Discovery Log Page golden vectors', () => {
  it('the Linux nvmet capture parses to the entries nvme-cli printed', () => {
    const buf = fullPage(LINUX, 0);
    const cli = parseNvmeCliDiscover(readVector('nvme-cli/discover-plain.txt').toString('utf8'));
    const log = parseDiscoveryLog(buf);
    expect(log.genctr).toBe(BigInt(cli.genctr));
    expect(log.entries.length).toBe(cli.numrec);
    log.entries.forEach((e, i) => {
      const want = cli.entries[i]!;
      expect(CLI_TRTYPE[e.trtype]).toBe(want.trtype);
      expect(CLI_ADRFAM[e.adrfam]).toBe(want.adrfam);
      expect(CLI_SUBTYPE[e.subtype]).toBe(want.subtype);
      expect(e.treq & Treq.SECURE_CHANNEL_MASK).toBe(Treq.SECURE_CHANNEL_NOT_SPECIFIED);
      expect(want.treq).toBe('not specified, sq flow control disable supported');
      expect(e.treq & Treq.SQ_FLOW_CONTROL_DISABLE).toBe(Treq.SQ_FLOW_CONTROL_DISABLE);
      expect(String(e.portid)).toBe(want.portid);
      expect(e.trsvcid).toBe(want.trsvcid);
      expect(e.subnqn).toBe(want.subnqn);
      expect(e.traddr).toBe(want.traddr);
      expect(e.eflags).toBe(0);
      expect(want.eflags).toBe('none');
      expect(e.tsas).toEqual({ sectype: 0 });
      expect(want.sectype).toBe('none');
    });
  });

  it('the SPDK capture parses to the records spdk_nvme_identify printed', () => {
    const log = parseDiscoveryLog(fullPage(SPDK, 1));
    expect(log.entries.map((e) => [e.subtype, e.subnqn, e.eflags, e.cntlid, e.asqsz, e.treq])).toEqual([
      [DiscSubType.CURRENT_DISCOVERY, 'nqn.2014-08.org.nvmexpress.discovery', 3, 0xffff, 128, Treq.SECURE_CHANNEL_NOT_REQUIRED],
      [DiscSubType.NVME, 'nqn.2016-06.io.spdk:cnode1', 0, 0xffff, 128, Treq.SECURE_CHANNEL_NOT_REQUIRED],
    ]);
    expect(log.entries[0]!.trsvcid).toBe('4420');
    expect(log.entries[0]!.traddr).toBe('127.0.0.1');
  });

  it('build(parse(x)) reproduces both captures with their own padding', () => {
    const linux = fullPage(LINUX, 0);
    expect(buildDiscoveryLog(parseDiscoveryLog(linux), { textPadding: 'nul' }).equals(linux)).toBe(true);
    const spdk = fullPage(SPDK, 1);
    expect(buildDiscoveryLog(parseDiscoveryLog(spdk)).equals(spdk)).toBe(true);
  });
});

describe('Discovery Log Page codec', () => {
  const rdma: DiscoveryLogEntry = {
    trtype: DiscTrType.RDMA,
    adrfam: DiscAdrFam.IB,
    subtype: DiscSubType.REFERRAL,
    treq: Treq.SECURE_CHANNEL_REQUIRED,
    portid: 7,
    cntlid: 0xffff,
    asqsz: 32,
    eflags: 0,
    trsvcid: '4420',
    subnqn: 'nqn.2014-08.org.nvmexpress.discovery',
    traddr: 'fe80::1',
    tsas: { rdma_qptype: 1, rdma_prtype: 2, rdma_cms: 1, rdma_pkey: 0xffff },
  };
  const fc: DiscoveryLogEntry = { ...rdma, trtype: DiscTrType.FC, tsas: { raw: 'ab'.repeat(256) } };

  it('round-trips RDMA and raw TSAS; header helpers read genctr and numrec', () => {
    const buf = buildDiscoveryLog({ genctr: 9n, entries: [rdma, fc] });
    expect(discoveryLogHeaderNumrec(buf)).toBe(2);
    expect(discoveryLogHeaderGenctr(buf)).toBe(9n);
    expect(parseDiscoveryLog(buf)).toEqual({ genctr: 9n, numrec: 2, recfmt: 0, entries: [rdma, fc] });
  });

  it('refuses a page shorter than NUMREC says, unless the caller caps the count', () => {
    const buf = buildDiscoveryLog({ genctr: 1n, entries: [rdma, rdma] });
    expect(() => parseDiscoveryLog(buf.subarray(0, 2048))).toThrow(/3072/);
    expect(parseDiscoveryLog(buf.subarray(0, 2048), 1).entries).toHaveLength(1);
  });

  it('rejects an unknown record format', () => {
    const buf = buildDiscoveryLog({ genctr: 1n, recfmt: 1, entries: [] });
    expect(() => parseDiscoveryLog(buf)).toThrow(/recfmt/);
  });
});

describe('transport type and address family names', () => {
  it('name codes as SPDK prints them and map the names back', () => {
    expect([DiscTrType.TCP, DiscTrType.RDMA, DiscTrType.FC, DiscTrType.INTRA_HOST, 9].map(discTrTypeName)).toEqual([
      'TCP',
      'RDMA',
      'FC',
      'INTRA_HOST',
      undefined,
    ]);
    expect([DiscAdrFam.IPV4, DiscAdrFam.IPV6, DiscAdrFam.IB, 0].map(discAdrFamName)).toEqual(['IPv4', 'IPv6', 'IB', undefined]);
    expect([discTrTypeCode('TCP'), discTrTypeCode('RDMA')]).toEqual([3, 1]);
    expect([discAdrFamCode('IPv4'), discAdrFamCode('IPv6')]).toEqual([1, 2]);
  });
});
