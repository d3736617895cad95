/**
 * The Discovery Log Page as `spdk_nvme_identify` prints it when pointed at a
 * discovery controller.
 */
import type { TransportId } from '../nvme-driver/transport-id.js';
import {
  DiscAdrFam,
  discAdrFamName,
  DiscSubType,
  DiscTrType,
  discTrTypeName,
  Eflags,
  RdmaCms,
  RdmaPrType,
  RdmaQpType,
  Treq,
  type DiscoveryLog,
  type DiscoveryLogEntry,
  type RdmaTsas,
} from '../spec/discovery-log.js';
import { controllerBanner, heading, kv } from './spdk-text.js';

const SUBTYPE_NAMES: Readonly<Record<number, string>> = {
  [DiscSubType.REFERRAL]: 'Discovery Service Referral',
  [DiscSubType.NVME]: 'NVM Subsystem',
  [DiscSubType.CURRENT_DISCOVERY]: 'Current Discovery Subsystem',
};

const SECURE_CHANNEL_NAMES: Readonly<Record<number, string>> = {
  [Treq.SECURE_CHANNEL_NOT_SPECIFIED]: 'Not Specified',
  [Treq.SECURE_CHANNEL_REQUIRED]: 'Required',
  [Treq.SECURE_CHANNEL_NOT_REQUIRED]: 'Not Required',
};

const RDMA_QPTYPE_NAMES: Readonly<Record<number, string>> = {
  [RdmaQpType.RELIABLE_CONNECTED]: 'Reliable Connected',
  [RdmaQpType.RELIABLE_DATAGRAM]: 'Reliable Datagram',
};

const RDMA_PRTYPE_NAMES: Readonly<Record<number, string>> = {
  [RdmaPrType.NONE]: 'No provider specified',
  [RdmaPrType.IB]: 'InfiniBand',
  [RdmaPrType.ROCE]: 'InfiniBand RoCE',
  [RdmaPrType.ROCE2]: 'InfiniBand RoCE v2',
  [RdmaPrType.IWARP]: 'iWARP',
};

const RDMA_CMS_NAMES: Readonly<Record<number, string>> = { [RdmaCms.RDMA_CM]: 'RDMA_CM' };

/** TRSVCID and TRADDR field widths; SPDK prints the raw fields, space padding included. */
const TRSVCID_WIDTH = 32;
const TRADDR_WIDTH = 256;

/** `3 (TCP)`: a code and its name, as SPDK prints coded fields. */
function named(code: number, name: string | undefined): string {
  return `${code} (${name ?? 'Unknown'})`;
}

function coded(code: number, names: Readonly<Record<number, string>>): string {
  return named(code, names[code]);
}

function hex4(n: number): string {
  return `0x${n.toString(16).padStart(4, '0')}`;
}

function rdmaLines(e: DiscoveryLogEntry): string[] {
  if (e.trtype !== DiscTrType.RDMA || !('rdma_qptype' in e.tsas)) return [];
  const t: RdmaTsas = e.tsas;
  return [
    'Transport Specific Address Subtype - RDMA',
    kv('  RDMA QP Service Type', coded(t.rdma_qptype, RDMA_QPTYPE_NAMES)),
    kv('  RDMA Provider Type', coded(t.rdma_prtype, RDMA_PRTYPE_NAMES)),
    kv('  RDMA CM Service', coded(t.rdma_cms, RDMA_CMS_NAMES)),
    ...(e.adrfam === DiscAdrFam.IB ? [kv('  RDMA Partition Key', t.rdma_pkey)] : []),
  ];
}

function entryLines(e: DiscoveryLogEntry, i: number): string[] {
  return [
    `Discovery Log Entry ${i}`,
    '-'.repeat(22),
    kv('Transport Type', named(e.trtype, discTrTypeName(e.trtype))),
    kv('Address Family', named(e.adrfam, discAdrFamName(e.adrfam))),
    kv('Subsystem Type', coded(e.subtype, SUBTYPE_NAMES)),
    'Entry Flags:',
    `  Duplicate Returned Information:\t\t\t${e.eflags & Eflags.DUPRETINFO ? 1 : 0}`,
    `  Explicit Persistent Connection Support for Discovery: ${e.eflags & Eflags.EPCSD ? 1 : 0}`,
    'Transport Requirements:',
    kv('  Secure Channel', SECURE_CHANNEL_NAMES[e.treq & Treq.SECURE_CHANNEL_MASK] ?? 'Reserved'),
    kv('Port ID', `${e.portid} (${hex4(e.portid)})`),
    kv('Controller ID', `${e.cntlid} (${hex4(e.cntlid)})`),
    kv('Admin Max SQ Size', e.asqsz),
    kv('Transport Service Identifier', e.trsvcid.padEnd(TRSVCID_WIDTH)),
    kv('NVM Subsystem Qualified Name', e.subnqn),
    kv('Transport Address', e.traddr.padEnd(TRADDR_WIDTH)),
    ...rdmaLines(e),
  ];
}

/** The `Discovery Log Page` section of spdk_nvme_identify's output, as lines. */
export function discoveryLogLines(log: DiscoveryLog): string[] {
  return [
    ...heading('Discovery Log Page'),
    kv('Generation Counter', log.genctr.toString()),
    kv('Number of Records', log.numrec),
    kv('Record Format', log.recfmt),
    '',
    ...log.entries.flatMap(entryLines),
  ];
}

/**
 * A discovery log as `spdk_nvme_identify` prints it: the controller banner,
 * then the log (without the discovery controller's Identify sections).
 */
export function formatDiscoveryText(trid: TransportId | string, log: DiscoveryLog): string {
  return [...controllerBanner(trid), ...discoveryLogLines(log)].join('\n') + '\n';
}
