/**
 * The Discovery Log Page a discovery controller serves (Linux nvmet
 * `discovery.c`, SPDK `nvmf_generate_discovery_log`): one entry per
 * (subsystem, listener) pair the host may reach, the discovery subsystem
 * itself included as "current discovery subsystem" (as SPDK and Linux list
 * it). Subsystems that do not allow the host are left out.
 */
import { CNTLID_DYNAMIC, DISCOVERY_NQN } from '../spec/fabrics.js';
import {
  buildDiscoveryLog,
  discAdrFamCode,
  DiscSubType,
  discTrTypeCode,
  Eflags,
  RdmaCms,
  RdmaPrType,
  RdmaQpType,
  TcpSecType,
  Treq,
  type DiscoveryLogEntry,
} from '../spec/discovery-log.js';
import { isWildcardAddress, type Listener } from './listener.js';
import type { Subsystem } from './subsystem.js';
import type { TargetConnectionInfo } from './transport/transport.js';

function entryFor(subsystem: Subsystem, listener: Listener, info: TargetConnectionInfo): DiscoveryLogEntry {
  const isDiscovery = subsystem.subtype === 'discovery';
  return {
    trtype: discTrTypeCode(listener.trtype),
    adrfam: discAdrFamCode(listener.adrfam),
    subtype: isDiscovery ? DiscSubType.CURRENT_DISCOVERY : DiscSubType.NVME,
    // Secure channel not specified, SQ flow control may be disabled: what Linux nvmet advertises.
    treq: Treq.SECURE_CHANNEL_NOT_SPECIFIED | Treq.SQ_FLOW_CONTROL_DISABLE,
    portid: listener.portid,
    // Dynamic controller model: a host connects with CNTLID FFFFh.
    cntlid: CNTLID_DYNAMIC,
    asqsz: info.maxAdminQueueDepth,
    eflags: isDiscovery ? Eflags.DUPRETINFO | Eflags.EPCSD : 0,
    trsvcid: listener.trsvcid,
    subnqn: isDiscovery ? DISCOVERY_NQN : subsystem.nqn,
    // A listener on every address is shown as the address this host reached.
    traddr: isWildcardAddress(listener.traddr) ? info.traddr : listener.traddr,
    tsas:
      listener.trtype === 'TCP'
        ? { sectype: TcpSecType.NONE }
        : {
            rdma_qptype: RdmaQpType.RELIABLE_CONNECTED,
            rdma_prtype: RdmaPrType.NONE,
            rdma_cms: RdmaCms.RDMA_CM,
            rdma_pkey: 0,
          },
  };
}

/** What the discovery log is built from. */
export interface DiscoveryLogSource {
  genctr: number;
  /** Every subsystem, the discovery subsystem first. */
  subsystems: Iterable<Subsystem>;
  listeners: readonly Listener[];
}

/** The whole Discovery Log Page as `hostnqn`, connected through `info`, sees it. */
export function discoveryLogFor(source: DiscoveryLogSource, hostnqn: string, info: TargetConnectionInfo): Buffer {
  const entries: DiscoveryLogEntry[] = [];
  for (const subsystem of source.subsystems) {
    if (!subsystem.isHostAllowed(hostnqn)) continue;
    for (const listener of source.listeners) {
      if (subsystem.isReachableVia(listener)) entries.push(entryFor(subsystem, listener, info));
    }
  }
  return buildDiscoveryLog({ genctr: BigInt(source.genctr), entries });
}
