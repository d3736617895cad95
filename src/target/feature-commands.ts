/**
 * Get Features / Set Features (admin opcodes 0Ah / 09h) for the features a
 * fabrics controller has: arbitration, power management, temperature
 * threshold, error recovery (per namespace), volatile write cache, number of
 * queues, async event configuration and the keep alive timer. One table entry
 * per feature: its current and default value and how a Set applies. Nothing
 * is saveable.
 */
import { decodeCommand, GetFeatures, SetFeatures } from '../spec/commands.js';
import {
  decodeFeature,
  encodeFeature,
  ErrorRecovery,
  FeatureCapabilities,
  FeatureId,
  FeatureSelect,
  NumberOfQueues,
  PowerManagement,
  TemperatureSelect,
  TemperatureThreshold,
  ThresholdTypeSelect,
  VolatileWriteCache,
} from '../spec/features.js';
import { encodeBits32 } from '../spec/bitfield.js';
import { Status } from './command-status.js';
import { AsyncEventConfigBit, type Controller, type ControllerFeatures, type TemperatureThresholds } from './controller.js';
import { NSID_ALL } from './io-commands.js';
import type { TargetRequest } from './request.js';

interface SetResult {
  status: number;
  cdw0?: number;
}

interface Feature {
  /** Discovery controllers have it too. */
  discovery: boolean;
  /** One value per namespace: the NSID must name an active namespace (or, for Set, be FFFFFFFFh: every one). */
  perNamespace?: boolean;
  /**
   * The dword value from a set of feature values, for the command's CDW11 and
   * NSID; undefined when CDW11 selects something this controller lacks.
   */
  value(features: ControllerFeatures, ctrl: Controller, cdw11: number, nsid: number): number | undefined;
  set(ctrl: Controller, cdw11: number, nsid: number): SetResult;
}

/** Critical warning bits 7:0 of the Async Event Configuration are always accepted. */
const SMART_WARNING_BITS = 0xff;

function numberOfQueuesValue(count: number): number {
  return encodeFeature(NumberOfQueues, { nsqr: count, ncqr: count });
}

const THRESHOLD_TYPES: Readonly<Record<number, keyof TemperatureThresholds>> = {
  [ThresholdTypeSelect.OVER]: 'over',
  [ThresholdTypeSelect.UNDER]: 'under',
};

/**
 * The threshold TMPSEL and THSEL select: only the composite temperature is
 * implemented (the SMART log reports no sensors), so sensors 1-8 and a
 * reserved THSEL select none. TMPSEL Fh, every sensor, is for Set only.
 */
function selectedThreshold(cdw11: number, forSet: boolean): keyof TemperatureThresholds | undefined {
  const { tmpsel, thsel } = decodeFeature(TemperatureThreshold, cdw11);
  const composite = tmpsel === TemperatureSelect.COMPOSITE || (forSet && tmpsel === TemperatureSelect.ALL_SENSORS);
  return composite ? THRESHOLD_TYPES[thsel] : undefined;
}

const FEATURES = new Map<number, Feature>([
  [
    FeatureId.ARBITRATION,
    {
      discovery: false,
      value: (f) => f.arbitration,
      set: (ctrl, cdw11) => {
        ctrl.features.arbitration = cdw11;
        return { status: Status.SUCCESS };
      },
    },
  ],
  [
    FeatureId.POWER_MANAGEMENT,
    {
      discovery: false,
      value: (f) => f.powerManagement,
      set: (ctrl, cdw11) => {
        // Power state 0 is the only one (NPSS 0).
        if (decodeFeature(PowerManagement, cdw11).ps !== 0) return { status: Status.INVALID_FIELD };
        ctrl.features.powerManagement = cdw11;
        return { status: Status.SUCCESS };
      },
    },
  ],
  [
    FeatureId.TEMPERATURE_THRESHOLD,
    {
      discovery: false,
      value: (f, _ctrl, cdw11) => {
        const which = selectedThreshold(cdw11, false);
        if (which === undefined) return undefined;
        const { tmpsel, thsel } = decodeFeature(TemperatureThreshold, cdw11);
        return encodeFeature(TemperatureThreshold, { tmpth: f.temperatureThreshold[which], tmpsel, thsel });
      },
      set: (ctrl, cdw11) => {
        const which = selectedThreshold(cdw11, true);
        if (which === undefined) return { status: Status.INVALID_FIELD };
        ctrl.features.temperatureThreshold[which] = decodeFeature(TemperatureThreshold, cdw11).tmpth;
        ctrl.temperatureThresholdChanged();
        return { status: Status.SUCCESS };
      },
    },
  ],
  [
    FeatureId.ERROR_RECOVERY,
    {
      discovery: false,
      perNamespace: true,
      value: (f, _ctrl, _cdw11, nsid) => f.errorRecovery.get(nsid) ?? 0,
      set: (ctrl, cdw11, nsid) => {
        const { tler, dulbe } = decodeFeature(ErrorRecovery, cdw11);
        // Deallocated blocks read as zeros, never as errors: Identify Namespace does not offer DULBE (SPDK refuses it too).
        if (dulbe) return { status: Status.INVALID_FIELD };
        const nsids = nsid === NSID_ALL ? [...ctrl.subsystem.namespaces.keys()] : [nsid];
        for (const n of nsids) ctrl.features.errorRecovery.set(n, encodeFeature(ErrorRecovery, { tler }));
        return { status: Status.SUCCESS };
      },
    },
  ],
  [
    FeatureId.VOLATILE_WRITE_CACHE,
    {
      discovery: false,
      value: (f) => encodeFeature(VolatileWriteCache, { wce: f.volatileWriteCache }),
      set: (ctrl, cdw11) => {
        ctrl.features.volatileWriteCache = decodeFeature(VolatileWriteCache, cdw11).wce;
        return { status: Status.SUCCESS };
      },
    },
  ],
  [
    FeatureId.NUMBER_OF_QUEUES,
    {
      discovery: false,
      value: (f) => numberOfQueuesValue(f.ioQueues),
      set: (ctrl, cdw11) => {
        if (ctrl.ioQueueCount > 0) return { status: Status.COMMAND_SEQUENCE_ERROR };
        const { nsqr, ncqr } = decodeFeature(NumberOfQueues, cdw11);
        if (nsqr > 0xffff || ncqr > 0xffff) return { status: Status.INVALID_FIELD };
        // A fabrics I/O queue is an SQ and a CQ together: grant the same number of each.
        ctrl.features.ioQueues = Math.min(nsqr, ncqr, ctrl.target.settings.maxIoQueuesPerController);
        return { status: Status.SUCCESS, cdw0: numberOfQueuesValue(ctrl.features.ioQueues) };
      },
    },
  ],
  [
    FeatureId.ASYNC_EVENT_CONFIGURATION,
    {
      discovery: true,
      value: (f) => f.asyncEventConfig,
      set: (ctrl, cdw11) => {
        // Events this controller never raises are dropped, not refused (as SPDK does): hosts
        // written against other targets ask for ANA or firmware notices too.
        const supported =
          SMART_WARNING_BITS |
          (ctrl.isDiscovery ? AsyncEventConfigBit.DISCOVERY_LOG_CHANGE_NOTICES : AsyncEventConfigBit.NS_ATTRIBUTE_NOTICES);
        ctrl.features.asyncEventConfig = (cdw11 & supported) >>> 0;
        return { status: Status.SUCCESS };
      },
    },
  ],
  [
    FeatureId.KEEP_ALIVE_TIMER,
    {
      discovery: true,
      value: (_f, ctrl) => ctrl.katoMs,
      set: (ctrl, cdw11) => {
        ctrl.startKeepAlive(cdw11 >>> 0);
        return { status: Status.SUCCESS };
      },
    },
  ],
]);

function featureFor(ctrl: Controller, fid: number): Feature | undefined {
  const feature = FEATURES.get(fid);
  return feature && (feature.discovery || !ctrl.isDiscovery) ? feature : undefined;
}

/** Whether `nsid` suits the feature: any for controller-wide ones, an active namespace (or, for Set, all) for per-namespace ones. */
function namespaceFits(ctrl: Controller, feature: Feature, nsid: number, forSet: boolean): boolean {
  return !feature.perNamespace || ctrl.subsystem.namespaces.has(nsid) || (forSet && nsid === NSID_ALL);
}

function capabilities(feature: Feature): number {
  return encodeBits32('FeatureCapabilities', FeatureCapabilities, { changeable: true, namespaceSpecific: feature.perNamespace ?? false });
}

export function executeGetFeatures(ctrl: Controller, req: TargetRequest, sqe: Buffer): void {
  const { fid, sel, cdw11, nsid } = decodeCommand(GetFeatures, sqe);
  const feature = featureFor(ctrl, fid);
  if (!feature) {
    req.complete(Status.INVALID_FIELD);
    return;
  }
  if (!namespaceFits(ctrl, feature, nsid, false)) {
    req.complete(Status.INVALID_NAMESPACE_OR_FORMAT);
    return;
  }
  let value: number | undefined;
  switch (sel) {
    case FeatureSelect.CURRENT:
      value = feature.value(ctrl.features, ctrl, cdw11, nsid);
      break;
    case FeatureSelect.DEFAULT:
    case FeatureSelect.SAVED:
      // Nothing is saveable, so the saved value is the default.
      value = defaultValue(ctrl, fid, feature, cdw11, nsid);
      break;
    case FeatureSelect.SUPPORTED_CAPABILITIES:
      value = capabilities(feature);
      break;
  }
  if (value === undefined) req.complete(Status.INVALID_FIELD);
  else req.complete(Status.SUCCESS, value >>> 0);
}

/** KATO's default is "off"; every other default comes from the controller's reset values. */
function defaultValue(ctrl: Controller, fid: number, feature: Feature, cdw11: number, nsid: number): number | undefined {
  return fid === FeatureId.KEEP_ALIVE_TIMER ? 0 : feature.value(ctrl.defaultFeatures(), ctrl, cdw11, nsid);
}

export function executeSetFeatures(ctrl: Controller, req: TargetRequest, sqe: Buffer): void {
  const { fid, sv, cdw11, nsid } = decodeCommand(SetFeatures, sqe);
  const feature = featureFor(ctrl, fid);
  if (!feature) {
    req.complete(Status.INVALID_FIELD);
    return;
  }
  if (sv) {
    req.complete(Status.FEATURE_ID_NOT_SAVEABLE);
    return;
  }
  if (!namespaceFits(ctrl, feature, nsid, true)) {
    req.complete(Status.INVALID_NAMESPACE_OR_FORMAT);
    return;
  }
  const { status, cdw0 } = feature.set(ctrl, cdw11, nsid);
  req.complete(status, cdw0 ?? 0);
}
