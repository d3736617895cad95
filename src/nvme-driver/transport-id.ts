/**
 * Transport IDs in SPDK's string form:
 * `trtype:TCP adrfam:IPv4 traddr:127.0.0.1 trsvcid:4420 subnqn:nqn...`.
 */

/** The discovery subsystem's well-known NQN; a transport ID without `subnqn` points here. */
export const DISCOVERY_NQN = 'nqn.2014-08.org.nvmexpress.discovery';

/** Transport types, spelled as SPDK prints them. */
export type TrType = 'TCP' | 'RDMA' | 'PCIe';

/** Address families, spelled as SPDK prints them. */
export type AdrFam = 'IPv4' | 'IPv6' | 'IB' | 'FC' | 'INTRA_HOST';

/** A parsed transport ID. Optional fields are absent when the string did not give them. */
export interface TransportId {
  trtype: TrType;
  adrfam?: AdrFam;
  /** IP address, or PCI BDF for PCIe (`0000:04:00.0`). */
  traddr?: string;
  /** Port (service ID). */
  trsvcid?: string;
  /** Subsystem NQN; defaults to {@link DISCOVERY_NQN} for fabrics. */
  subnqn?: string;
  hostnqn?: string;
  /** Local address to connect from. */
  hostaddr?: string;
  hostsvcid?: string;
  /** Restrict to one namespace (nvme-perf's `ns:N`). */
  ns?: number;
  priority?: number;
  alt_traddr?: string[];
}
