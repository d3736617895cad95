/**
 * Get Features / Set Features (admin opcodes 0Ah / 09h) for the features a
 * fabrics controller has: arbitration, power management, volatile write
 * cache, number of queues, async event configuration and the keep alive
 * timer. One table entry per feature: its current and default value and how
 * a Set applies. Nothing is saveable.
 */
import { decodeCommand, GetFeatures, SetFeatures } from '../spec/commands.js';
import {
  decodeFeature,
  encodeFeature,
  FeatureCapabilities,
  FeatureId,
  FeatureSelect,
  NumberOfQueues,
  PowerManagement,
  VolatileWriteCache,
} from '../spec/features.js';
import { encodeBits32 } from '../spec/bitfield.js';
import { Status } from './command-status.js';
import { AsyncEventConfigBit, type Controller, type ControllerFeatures } from './controller.js';
import type { TargetRequest } from './request.js';

interface SetResult {
  status: number;
  cdw0?: number;
}

interface Feature {
  /** Discovery controllers have it too. */
  discovery: boolean;
  /** The dword value from a set of feature values. */
  value(features: ControllerFeatures, ctrl: Controller): number;
  set(ctrl: Controller, cdw11: number): SetResult;
}

/** Critical warning bits 7:0 of the Async Event Configuration are always accepted. */
const SMART_WARNING_BITS = 0xff;

function numberOfQueuesValue(count: number): number {
  return encodeFeature(NumberOfQueues, { nsqr: count, ncqr: count });
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

const CHANGEABLE = encodeBits32('FeatureCapabilities', FeatureCapabilities, { changeable: true });

export function executeGetFeatures(ctrl: Controller, req: TargetRequest, sqe: Buffer): void {
  const { fid, sel } = decodeCommand(GetFeatures, sqe);
  const feature = featureFor(ctrl, fid);
  if (!feature) {
    req.complete(Status.INVALID_FIELD);
    return;
  }
  switch (sel) {
    case FeatureSelect.CURRENT:
      req.complete(Status.SUCCESS, feature.value(ctrl.features, ctrl) >>> 0);
      return;
    case FeatureSelect.DEFAULT:
    case FeatureSelect.SAVED:
      // Nothing is saveable, so the saved value is the default.
      req.complete(Status.SUCCESS, defaultValue(ctrl, fid, feature) >>> 0);
      return;
    case FeatureSelect.SUPPORTED_CAPABILITIES:
      req.complete(Status.SUCCESS, CHANGEABLE);
      return;
    default:
      req.complete(Status.INVALID_FIELD);
  }
}

/** KATO's default is "off"; every other default comes from the controller's reset values. */
function defaultValue(ctrl: Controller, fid: number, feature: Feature): number {
  return fid === FeatureId.KEEP_ALIVE_TIMER ? 0 : feature.value(ctrl.defaultFeatures(), ctrl);
}

export function executeSetFeatures(ctrl: Controller, req: TargetRequest, sqe: Buffer): void {
  const { fid, sv, cdw11 } = decodeCommand(SetFeatures, sqe);
  const feature = featureFor(ctrl, fid);
  if (!feature) {
    req.complete(Status.INVALID_FIELD);
    return;
  }
  if (sv) {
    req.complete(Status.FEATURE_ID_NOT_SAVEABLE);
    return;
  }
  const { status, cdw0 } = feature.set(ctrl, cdw11);
  req.complete(status, cdw0 ?? 0);
}
