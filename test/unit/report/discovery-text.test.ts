import { describe, expect, it } from 'vitest';
import { formatDiscoveryText } from '../../../src/report/discovery-text.js';
import { DiscAdrFam, DiscSubType, DiscTrType, parseDiscoveryLog, Treq, type DiscoveryLogEntry } from '../../../src/spec/discovery-log.js';
import { LogPageId } from '../../../src/spec/log-pages.js';
import { loadCapturedCommands, logPagePayloads, readVector } from '../../helpers/nvme-tcp-capture.js';

const SPDK = 'spdk-identify-to-spdk-nvmf-tgt-tcp';

describe('formatDiscoveryText', () => {
  it('prints the banner and the Discovery Log Page section of spdk-identify-discovery.txt, line for line', () => {
    const page = logPagePayloads(loadCapturedCommands(SPDK, 1), LogPageId.DISCOVERY).find((r) => r.data.length === 3072);
    const text = formatDiscoveryText('trtype:TCP traddr:127.0.0.1 trsvcid:4420', parseDiscoveryLog(page!.data));
    const vector = readVector('spdk/spdk-identify-discovery.txt').toString('utf8').split('\n');
    const section = vector.indexOf('Discovery Log Page');
    expect(section).toBeGreaterThan(3);
    expect(text.split('\n')).toEqual([...vector.slice(0, 3), ...vector.slice(section)]);
  });

  it('prints the RDMA transport specific address subtype, with the partition key for InfiniBand', () => {
    const e: DiscoveryLogEntry = {
      trtype: DiscTrType.RDMA,
      adrfam: DiscAdrFam.IB,
      subtype: DiscSubType.REFERRAL,
      treq: Treq.SECURE_CHANNEL_REQUIRED,
      portid: 2,
      cntlid: 0xffff,
      asqsz: 32,
      eflags: 0,
      trsvcid: '4420',
      subnqn: 'nqn.2014-08.org.nvmexpress.discovery',
      traddr: 'fe80::1',
      tsas: { rdma_qptype: 1, rdma_prtype: 4, rdma_cms: 1, rdma_pkey: 0x8001 },
    };
    const text = formatDiscoveryText({ trtype: 'RDMA', traddr: '10.0.0.1', subnqn: 'nqn.2014-08.org.nvmexpress.discovery' }, { genctr: 1n, numrec: 1, recfmt: 0, entries: [e] });
    expect(text).toContain('NVMeoF Controller at RDMA (addr:10.0.0.1 subnqn:nqn.2014-08.org.nvmexpress.discovery)\n');
    expect(text).toContain('Subsystem Type:                        1 (Discovery Service Referral)\n');
    expect(text).toContain('  Secure Channel:                      Required\n');
    expect(text).toContain(
      'Transport Specific Address Subtype - RDMA\n' +
        '  RDMA QP Service Type:                1 (Reliable Connected)\n' +
        '  RDMA Provider Type:                  4 (InfiniBand RoCE v2)\n' +
        '  RDMA CM Service:                     1 (RDMA_CM)\n' +
        '  RDMA Partition Key:                  32769\n',
    );
  });
});
