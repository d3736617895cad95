/**
 * What `nvme-identify` gathers about one controller, as a plain object. The
 * formatters (SPDK-style text, JSON) only read it; gathering is the CLI's job.
 */
import type { TransportId } from '../nvme-driver/transport-id.js';
import type { DiscoveryLog } from '../spec/discovery-log.js';
import type {
  Arbitration,
  AsyncEventConfiguration,
  ErrorRecovery,
  FeatureValues,
  KeepAliveTimer,
  NumberOfQueues,
  PowerManagement,
  TemperatureThreshold,
  VolatileWriteCache,
} from '../spec/features.js';
import type { IdentifyController } from '../spec/identify-controller.js';
import type { IdentifyNamespace } from '../spec/identify-namespace.js';
import type {
  CommandEffectsLog,
  ErrorInformationEntry,
  FirmwareSlotLog,
  SmartHealthLog,
} from '../spec/log-pages.js';
import type { NamespaceIds } from '../spec/namespace-lists.js';

/** One active namespace. */
export interface IdentifyReportNamespace {
  nsid: number;
  data: IdentifyNamespace;
  /** From the Namespace Identification Descriptor list (CNS 03h), when the controller returned one. */
  descriptors?: NamespaceIds;
  /** Get Features Error Recovery for this NSID. */
  errorRecovery?: FeatureValues<typeof ErrorRecovery>;
}

/** Get Features results (current values), decoded with the layouts in spec/features.ts. */
export interface IdentifyReportFeatures {
  arbitration?: FeatureValues<typeof Arbitration>;
  powerManagement?: FeatureValues<typeof PowerManagement>;
  temperatureThreshold?: FeatureValues<typeof TemperatureThreshold>;
  numberOfQueues?: FeatureValues<typeof NumberOfQueues>;
  keepAliveTimer?: FeatureValues<typeof KeepAliveTimer>;
  asyncEventConfiguration?: FeatureValues<typeof AsyncEventConfiguration>;
  volatileWriteCache?: FeatureValues<typeof VolatileWriteCache>;
}

/** Log pages read from the controller. */
export interface IdentifyReportLogs {
  /** Error Information entries, newest first (ELPE + 1 were read). */
  errors?: ErrorInformationEntry[];
  health?: SmartHealthLog;
  firmwareSlot?: FirmwareSlotLog;
  effects?: CommandEffectsLog;
}

/** Everything `nvme-identify` reports about one controller. */
export interface IdentifyReport {
  /** The transport ID the controller was reached at (string form is parsed). */
  trid: TransportId | string;
  registers: {
    cap: bigint;
    vs: number;
    cc?: number;
    csts?: number;
    /** CMBSZ, when the controller has a Controller Memory Buffer (PCIe). */
    cmbsz?: number;
  };
  controller: IdentifyController;
  /** I/O queues the host driver will use (SPDK prints its negotiated `num_io_queues`). */
  maxIoQueues?: number;
  namespaces: IdentifyReportNamespace[];
  logs?: IdentifyReportLogs;
  features?: IdentifyReportFeatures;
  /** The Discovery Log Page, when the controller is a discovery controller. */
  discovery?: DiscoveryLog;
}
