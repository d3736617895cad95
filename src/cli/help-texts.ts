/**
 * Help texts shared by the CLIs that reach a controller, so `-r`, `--trace`
 * and the digests read the same in nvme-identify, nvme-perf and the rest.
 */
import { DEFAULT_OPTIONS } from '../nvme-driver/options.js';
import { DEFAULT_TRSVCID, DISCOVERY_NQN } from '../nvme-driver/transport-id.js';

/** Option descriptions, by option. */
export const OPTION_HELP = {
  transport: "the controller, as an SPDK transport ID (e.g. 'trtype:TCP traddr:127.0.0.1 trsvcid:4420 subnqn:NQN')",
  hostnqn: 'host NQN to present in Connect (default: the transport ID\'s hostnqn, /etc/nvme/hostnqn, else one UUID-based NQN per run)',
  hdgst: 'NVMe/TCP header digest: CRC32C on every PDU header (SPDK: hdgst in the controller options, nvme-cli: -g)',
  ddgst: 'NVMe/TCP data digest: CRC32C on every PDU payload (SPDK: ddgst, nvme-cli: -G)',
  trace: "print the controller's state changes and every command and completion to stderr, in SPDK's log format",
  connectTimeout: `give up connecting after this many ms (default ${DEFAULT_OPTIONS.connectTimeoutMs})`,
} as const;

/** The transport ID grammar, for the end of `--help`. */
export const TRANSPORT_ID_HELP = `Transport ID (-r), SPDK's syntax: space-separated key:value pairs (key=value works too)
  trtype     TCP, RDMA or PCIe
  adrfam     IPv4 or IPv6 (default: the family of traddr)
  traddr     target address (PCIe: the BDF, e.g. 0000:04:00.0)
  trsvcid    port (default ${DEFAULT_TRSVCID})
  subnqn     subsystem NQN (default: the discovery subsystem ${DISCOVERY_NQN})
  hostnqn    host NQN to present
  hostaddr   local address to connect from`;
