/**
 * Features (Get Features / Set Features): identifiers, their names, and the
 * layout of the dword value each one carries in CDW11 (Set) and in completion
 * dword 0 (Get). One bit-field table per feature drives both directions.
 */
import { type BitLayout, type BitValues, decodeBits, defineBitLayout, encodeBits32 } from './bitfield.js';

/** Feature Identifiers (FID). */
export const FeatureId = {
  ARBITRATION: 0x01,
  POWER_MANAGEMENT: 0x02,
  LBA_RANGE_TYPE: 0x03,
  TEMPERATURE_THRESHOLD: 0x04,
  ERROR_RECOVERY: 0x05,
  VOLATILE_WRITE_CACHE: 0x06,
  NUMBER_OF_QUEUES: 0x07,
  INTERRUPT_COALESCING: 0x08,
  INTERRUPT_VECTOR_CONFIGURATION: 0x09,
  WRITE_ATOMICITY: 0x0a,
  ASYNC_EVENT_CONFIGURATION: 0x0b,
  AUTONOMOUS_POWER_STATE_TRANSITION: 0x0c,
  HOST_MEMORY_BUFFER: 0x0d,
  TIMESTAMP: 0x0e,
  KEEP_ALIVE_TIMER: 0x0f,
  HOST_CONTROLLED_THERMAL_MANAGEMENT: 0x10,
  NON_OPERATIONAL_POWER_STATE_CONFIG: 0x11,
  READ_RECOVERY_LEVEL_CONFIG: 0x12,
  PREDICTABLE_LATENCY_MODE_CONFIG: 0x13,
  PREDICTABLE_LATENCY_MODE_WINDOW: 0x14,
  LBA_STATUS_INFORMATION_ATTRIBUTES: 0x15,
  HOST_BEHAVIOR_SUPPORT: 0x16,
  SANITIZE_CONFIG: 0x17,
  ENDURANCE_GROUP_EVENT_CONFIGURATION: 0x18,
  IO_COMMAND_SET_PROFILE: 0x19,
  SPINUP_CONTROL: 0x1a,
  ENHANCED_CONTROLLER_METADATA: 0x7d,
  CONTROLLER_METADATA: 0x7e,
  NAMESPACE_METADATA: 0x7f,
  SOFTWARE_PROGRESS_MARKER: 0x80,
  HOST_IDENTIFIER: 0x81,
  RESERVATION_NOTIFICATION_MASK: 0x82,
  RESERVATION_PERSISTENCE: 0x83,
  NAMESPACE_WRITE_PROTECTION_CONFIG: 0x84,
} as const;
export type FeatureId = (typeof FeatureId)[keyof typeof FeatureId];

/** Where SPDK's Get/Set Features trace spells a feature differently (its `ERROR_RECOVERY` is verbatim). */
const SPDK_SPELLING: Record<string, string> = {
  ERROR_RECOVERY: 'ERROR_RECOVERY',
  HOST_MEMORY_BUFFER: 'HOST MEM BUFFER',
  RESERVATION_NOTIFICATION_MASK: 'HOST RESERVE MASK',
  RESERVATION_PERSISTENCE: 'HOST RESERVE PERSIST',
};

const FEATURE_NAMES = new Map<number, string>(
  Object.entries(FeatureId).map(([key, fid]) => [fid, SPDK_SPELLING[key] ?? key.replace(/_/g, ' ')]),
);

/** The feature's name as SPDK's trace prints it (`NUMBER OF QUEUES`), or `RESERVED`. */
export function featureName(fid: number): string {
  return FEATURE_NAMES.get(fid) ?? 'RESERVED';
}

/** Get Features SEL: which value to return. */
export const FeatureSelect = {
  CURRENT: 0,
  DEFAULT: 1,
  SAVED: 2,
  /** Completion dword 0 then holds `FeatureCapabilities`. */
  SUPPORTED_CAPABILITIES: 3,
} as const;

/** A feature and the layout of its dword value. */
export interface FeatureDefinition<L extends BitLayout> {
  readonly fid: number;
  readonly layout: L;
}

function defineFeature<const L extends BitLayout>(fid: number, layout: L): FeatureDefinition<L> {
  return { fid, layout: defineBitLayout(featureName(fid), 32, layout) };
}

/** The decoded value of a feature. */
export type FeatureValues<F> = F extends FeatureDefinition<infer L> ? BitValues<L> : never;

/**
 * The dword value (Set Features CDW11, Get Features completion dword 0) for the given fields.
 * @throws RangeError naming the field when a value does not fit
 */
export function encodeFeature<L extends BitLayout>(feature: FeatureDefinition<L>, values: Partial<BitValues<L>>): number {
  return encodeBits32(featureName(feature.fid), feature.layout, values);
}

/** The fields of a feature's dword value. */
export function decodeFeature<L extends BitLayout>(feature: FeatureDefinition<L>, value: number): BitValues<L> {
  return decodeBits(feature.layout, value);
}

/** Completion dword 0 of Get Features with SEL = SUPPORTED_CAPABILITIES. */
export const FeatureCapabilities = defineBitLayout('FeatureCapabilities', 32, {
  saveable: { shift: 0, width: 1, flag: true },
  namespaceSpecific: { shift: 1, width: 1, flag: true },
  changeable: { shift: 2, width: 1, flag: true },
});

export const Arbitration = defineFeature(FeatureId.ARBITRATION, {
  /** Arbitration Burst: 2^AB commands; 7 = no limit. */
  ab: { shift: 0, width: 3 },
  /** Low, medium and high priority weights, 0-based. */
  lpw: { shift: 8, width: 8 },
  mpw: { shift: 16, width: 8 },
  hpw: { shift: 24, width: 8 },
});

export const PowerManagement = defineFeature(FeatureId.POWER_MANAGEMENT, {
  /** Power State. */
  ps: { shift: 0, width: 5 },
  /** Workload Hint. */
  wh: { shift: 5, width: 3 },
});

export const TemperatureThreshold = defineFeature(FeatureId.TEMPERATURE_THRESHOLD, {
  /** Temperature threshold in kelvin. */
  tmpth: { shift: 0, width: 16 },
  /** Threshold temperature select: 0 composite, 1-8 sensors. */
  tmpsel: { shift: 16, width: 4 },
  /** Threshold type select: 0 over, 1 under. */
  thsel: { shift: 20, width: 2 },
});

/** TMPSEL values besides sensors 1-8. */
export const TemperatureSelect = {
  COMPOSITE: 0x0,
  /** Set Features only: every temperature sensor the controller implements. */
  ALL_SENSORS: 0xf,
} as const;

/** THSEL values. */
export const ThresholdTypeSelect = {
  OVER: 0,
  UNDER: 1,
} as const;

export const ErrorRecovery = defineFeature(FeatureId.ERROR_RECOVERY, {
  /** Time Limited Error Recovery, in 100 ms units; 0 = none. */
  tler: { shift: 0, width: 16 },
  /** Deallocated or Unwritten Logical Block Error Enable. */
  dulbe: { shift: 16, width: 1, flag: true },
});

export const VolatileWriteCache = defineFeature(FeatureId.VOLATILE_WRITE_CACHE, {
  /** Volatile Write Cache Enable. */
  wce: { shift: 0, width: 1, flag: true },
});

/** Number of Queues: counts of I/O SQs and CQs (requested in CDW11, allocated in dword 0; 0-based on the wire). */
export const NumberOfQueues = defineFeature(FeatureId.NUMBER_OF_QUEUES, {
  /** I/O submission queues, 1..65535 (NSQR / NSQA + 1). */
  nsqr: { shift: 0, width: 16, zeroBased: true },
  /** I/O completion queues, 1..65535 (NCQR / NCQA + 1). */
  ncqr: { shift: 16, width: 16, zeroBased: true },
});

export const InterruptCoalescing = defineFeature(FeatureId.INTERRUPT_COALESCING, {
  /** Aggregation Threshold, 0-based completions. */
  thr: { shift: 0, width: 8 },
  /** Aggregation Time, 100 µs units. */
  time: { shift: 8, width: 8 },
});

export const InterruptVectorConfiguration = defineFeature(FeatureId.INTERRUPT_VECTOR_CONFIGURATION, {
  iv: { shift: 0, width: 16 },
  /** Coalescing Disable. */
  cd: { shift: 16, width: 1, flag: true },
});

export const WriteAtomicity = defineFeature(FeatureId.WRITE_ATOMICITY, {
  /** Disable Normal: only AWUPF applies. */
  dn: { shift: 0, width: 1, flag: true },
});

/** Which events complete an Async Event Request. */
export const AsyncEventConfiguration = defineFeature(FeatureId.ASYNC_EVENT_CONFIGURATION, {
  /** SMART / Health Critical Warnings: one bit per Critical Warning bit of the SMART log. */
  shcw: { shift: 0, width: 8 },
  /** Namespace Attribute Notices. */
  nan: { shift: 8, width: 1, flag: true },
  /** Firmware Activation Notices. */
  fan: { shift: 9, width: 1, flag: true },
  /** Telemetry Log Notices. */
  tln: { shift: 10, width: 1, flag: true },
  /** Asymmetric Namespace Access Change Notices. */
  anacn: { shift: 11, width: 1, flag: true },
  /** Predictable Latency Event Aggregate Log Change Notices. */
  plealcn: { shift: 12, width: 1, flag: true },
  /** LBA Status Information Notices. */
  lsin: { shift: 13, width: 1, flag: true },
  /** Endurance Group Event Aggregate Log Change Notices. */
  egealcn: { shift: 14, width: 1, flag: true },
  /** Normal NVM Subsystem Shutdown Notices. */
  nnsssn: { shift: 15, width: 1, flag: true },
  /** Zone Descriptor Changed Notices (zoned namespaces). */
  zdcn: { shift: 27, width: 1, flag: true },
  /** Discovery Log Page Change Notices (discovery controllers). */
  dlpcn: { shift: 31, width: 1, flag: true },
});

export const AutonomousPowerStateTransition = defineFeature(FeatureId.AUTONOMOUS_POWER_STATE_TRANSITION, {
  /** Autonomous Power State Transition Enable. */
  apste: { shift: 0, width: 1, flag: true },
});

export const KeepAliveTimer = defineFeature(FeatureId.KEEP_ALIVE_TIMER, {
  /** Keep Alive Timeout in ms; 0 disables. */
  kato: { shift: 0, width: 32 },
});

/** CDW11 of Host Identifier; the identifier itself travels as data (8 or 16 bytes). */
export const HostIdentifier = defineFeature(FeatureId.HOST_IDENTIFIER, {
  /** Enable Extended Host Identifier (128-bit). */
  exhid: { shift: 0, width: 1, flag: true },
});

export const SoftwareProgressMarker = defineFeature(FeatureId.SOFTWARE_PROGRESS_MARKER, {
  /** Pre-boot Software Load Count. */
  pbslc: { shift: 0, width: 8 },
});

export const ReservationNotificationMask = defineFeature(FeatureId.RESERVATION_NOTIFICATION_MASK, {
  /** Mask Registration Preempted Notification. */
  regpre: { shift: 1, width: 1, flag: true },
  /** Mask Reservation Released Notification. */
  resrel: { shift: 2, width: 1, flag: true },
  /** Mask Reservation Preempted Notification. */
  respre: { shift: 3, width: 1, flag: true },
});

export const ReservationPersistence = defineFeature(FeatureId.RESERVATION_PERSISTENCE, {
  /** Persist Through Power Loss. */
  ptpl: { shift: 0, width: 1, flag: true },
});

const FEATURES: ReadonlyMap<number, FeatureDefinition<BitLayout>> = new Map(
  [
    Arbitration,
    PowerManagement,
    TemperatureThreshold,
    ErrorRecovery,
    VolatileWriteCache,
    NumberOfQueues,
    InterruptCoalescing,
    InterruptVectorConfiguration,
    WriteAtomicity,
    AsyncEventConfiguration,
    AutonomousPowerStateTransition,
    KeepAliveTimer,
    HostIdentifier,
    SoftwareProgressMarker,
    ReservationNotificationMask,
    ReservationPersistence,
  ].map((f): [number, FeatureDefinition<BitLayout>] => [f.fid, f]),
);

/** The definition of feature `fid` when its value is a dword with a known layout (for traces and the target). */
export function featureDefinition(fid: number): FeatureDefinition<BitLayout> | undefined {
  return FEATURES.get(fid);
}
