/**
 * Identify (admin opcode 06h): the controller page, the namespace page, the
 * active namespace list and the namespace identification descriptors, built
 * with the spec codecs from the subsystem, the controller and the transport
 * limits the admin connection reported.
 */
import { encodeBits32 } from '../spec/bitfield.js';
import { decodeCommand, Identify } from '../spec/commands.js';
import { DISCOVERY_NQN } from '../spec/fabrics.js';
import {
  buildIdentifyController,
  CMIC_BITS,
  ControllerType,
  CTRATT_BITS,
  defaultIdentifyController,
  FRMW_BITS,
  LPA_BITS,
  OAES_BITS,
  ONCS_BITS,
  SGLS_BITS,
  SglSupport,
  VWC_BITS,
  zeroPowerState,
  type IdentifyController,
} from '../spec/identify-controller.js';
import { buildIdentifyNamespace, defaultIdentifyNamespace } from '../spec/identify-namespace.js';
import { Cns, Csi, IDENTIFY_DATA_SIZE } from '../spec/identify.js';
import { IoOpcode } from '../spec/opcodes.js';
import { buildActiveNamespaceList, buildNamespaceIds, NSID_LIST_MAX } from '../spec/namespace-lists.js';
import { Status } from './command-status.js';
import { AERL, type Controller } from './controller.js';
import { completeWithData } from './data-transfer.js';
import { ERROR_LOG_ENTRIES } from './error-log.js';
import { ioCommandSupported, NSID_ALL } from './io-commands.js';
import { NVME_VERSION } from './properties.js';
import type { TargetRequest } from './request.js';

/** Keep Alive Support granularity, in 100 ms units (Linux and SPDK both report 10 = 1 s). */
const KAS_100MS = 10;
/** Recommended Arbitration Burst, as SPDK and Linux report. */
const RAB = 6;
/** Abort Command Limit, 0-based (4 outstanding Aborts). */
const ACL = 3;
const ZERO_EUI64 = '0000000000000000';
/** The one power state: Linux nvmet's placeholder figures (25 W, 16/4 µs), which hosts already accept. */
const POWER_STATE_0 = { ...zeroPowerState(), max_power: 2500, entry_lat: 16, exit_lat: 4 };

type CnsHandler = (ctrl: Controller, req: TargetRequest, sqe: Buffer) => void;

const IO_CONTROLLER_CNS = new Map<number, CnsHandler>([
  [Cns.NAMESPACE, identifyNamespace],
  [Cns.CONTROLLER, (ctrl, req, sqe) => completeWithData(req, sqe, identifyControllerData(ctrl))],
  [Cns.ACTIVE_NAMESPACE_LIST, activeNamespaceList],
  [Cns.NAMESPACE_ID_DESCRIPTOR_LIST, namespaceIdDescriptors],
  [Cns.IOCS_CONTROLLER, nvmCommandSetController],
]);

const DISCOVERY_CONTROLLER_CNS = new Map<number, CnsHandler>([
  [Cns.CONTROLLER, (ctrl, req, sqe) => completeWithData(req, sqe, identifyControllerData(ctrl))],
]);

export function executeIdentify(ctrl: Controller, req: TargetRequest, sqe: Buffer): void {
  const cns = decodeCommand(Identify, sqe).cns;
  const handler = (ctrl.isDiscovery ? DISCOVERY_CONTROLLER_CNS : IO_CONTROLLER_CNS).get(cns);
  if (!handler) {
    req.complete(Status.INVALID_FIELD);
    return;
  }
  handler(ctrl, req, sqe);
}

/** MDTS: the largest transfer as a power of two of 4 KiB pages (CAP.MPSMIN). */
function mdtsOf(maxIoSize: number): number {
  return maxIoSize >= 4096 ? Math.floor(Math.log2(maxIoSize / 4096)) : 0;
}

/** The Identify Controller page for `ctrl`. */
export function identifyControllerData(ctrl: Controller): Buffer {
  const info = ctrl.info;
  const subsystem = ctrl.subsystem;
  const devices = [...subsystem.namespaces.values()].map((ns) => ns.bdev);
  const common: IdentifyController = {
    ...defaultIdentifyController(),
    fr: ctrl.target.settings.firmwareRevision,
    mdts: mdtsOf(info.maxIoSize),
    cntlid: ctrl.cntlid,
    ver: NVME_VERSION,
    aerl: AERL,
    lpa: encodeBits32('LPA', LPA_BITS, { extendedData: true, commandEffects: !ctrl.isDiscovery }),
    elpe: ERROR_LOG_ENTRIES - 1,
    kas: KAS_100MS,
    maxcmd: info.maxQueueDepth,
    sgls: encodeBits32('SGLS', SGLS_BITS, { support: SglSupport.SUPPORTED, keyed: info.trtype === 'RDMA', offset: true }),
    subnqn: subsystem.nqn,
    psds: [POWER_STATE_0],
  };
  if (ctrl.isDiscovery) {
    return buildIdentifyController({
      ...common,
      cntrltype: ControllerType.DISCOVERY,
      subnqn: DISCOVERY_NQN,
      oaes: encodeBits32('OAES', OAES_BITS, { discoveryLogChangeNotices: true }),
      sqes: 0,
      cqes: 0,
    });
  }
  const vwcPresent = devices.some((d) => d.volatileWriteCache);
  return buildIdentifyController({
    ...common,
    sn: subsystem.serialNumber,
    mn: subsystem.modelNumber,
    rab: RAB,
    cmic: encodeBits32('CMIC', CMIC_BITS, { multiPort: true, multiController: true }),
    oaes: encodeBits32('OAES', OAES_BITS, { namespaceAttributeNotices: true }),
    ctratt: encodeBits32('CTRATT', CTRATT_BITS, { hostId128: true, tbkas: true }),
    cntrltype: ControllerType.IO,
    acl: ACL,
    frmw: encodeBits32('FRMW', FRMW_BITS, { slot1ReadOnly: true, numSlots: 1 }),
    nn: subsystem.maxNamespaces,
    oncs: encodeBits32('ONCS', ONCS_BITS, {
      compare: true,
      datasetManagement: devices.every((d) => ioCommandSupported(IoOpcode.DATASET_MANAGEMENT, d)),
      writeZeroes: devices.every((d) => ioCommandSupported(IoOpcode.WRITE_ZEROES, d)),
    }),
    vwc: vwcPresent ? encodeBits32('VWC', VWC_BITS, { present: true, flushBroadcast: 3 }) : 0,
    ioccsz: (64 + info.inCapsuleDataSize) / 16,
    iorcsz: 1,
    icdoff: 0,
    fcatt: 0,
    msdbd: 1,
  });
}

/** NSIDs 0 and FFFFFFFFh (and anything above NN) name no namespace for these CNS values. */
function validNsid(ctrl: Controller, nsid: number): boolean {
  return nsid !== 0 && nsid !== NSID_ALL && nsid <= ctrl.subsystem.maxNamespaces;
}

function identifyNamespace(ctrl: Controller, req: TargetRequest, sqe: Buffer): void {
  if (!validNsid(ctrl, req.nsid)) {
    req.complete(Status.INVALID_NAMESPACE_OR_FORMAT);
    return;
  }
  const ns = ctrl.subsystem.namespaces.get(req.nsid);
  if (!ns) {
    // An allocated-but-inactive NSID: the spec returns a zero-filled page.
    completeWithData(req, sqe, Buffer.alloc(IDENTIFY_DATA_SIZE));
    return;
  }
  const bdev = ns.bdev;
  completeWithData(
    req,
    sqe,
    buildIdentifyNamespace({
      ...defaultIdentifyNamespace(BigInt(bdev.numBlocks), Math.log2(bdev.blockSize)),
      nmic: 1,
      // Deallocated blocks read as zeros (DLFEAT read behaviour 001b).
      dlfeat: bdev.supportsUnmap ? 1 : 0,
      nguid: ns.nguid,
      eui64: ns.eui64,
    }),
  );
}

function activeNamespaceList(ctrl: Controller, req: TargetRequest, sqe: Buffer): void {
  if (req.nsid >= NSID_ALL - 1) {
    req.complete(Status.INVALID_NAMESPACE_OR_FORMAT);
    return;
  }
  const nsids = [...ctrl.subsystem.namespaces.keys()]
    .filter((nsid) => nsid > req.nsid)
    .sort((a, b) => a - b)
    .slice(0, NSID_LIST_MAX);
  completeWithData(req, sqe, buildActiveNamespaceList(nsids));
}

function namespaceIdDescriptors(ctrl: Controller, req: TargetRequest, sqe: Buffer): void {
  const ns = validNsid(ctrl, req.nsid) ? ctrl.subsystem.namespaces.get(req.nsid) : undefined;
  if (!ns) {
    req.complete(Status.INVALID_NAMESPACE_OR_FORMAT);
    return;
  }
  completeWithData(
    req,
    sqe,
    buildNamespaceIds({ eui64: ns.eui64 === ZERO_EUI64 ? undefined : ns.eui64, nguid: ns.nguid, uuid: ns.uuid }),
  );
}

/**
 * CNS 06h for the NVM command set: every limit in it (VSL, WZSL, WUSL, DMRL,
 * DMRSL, DMSL) is zero, meaning "none beyond MDTS". Linux hosts ask for it.
 */
function nvmCommandSetController(_ctrl: Controller, req: TargetRequest, sqe: Buffer): void {
  if (decodeCommand(Identify, sqe).csi !== Csi.NVM) {
    req.complete(Status.INVALID_FIELD);
    return;
  }
  completeWithData(req, sqe, Buffer.alloc(IDENTIFY_DATA_SIZE));
}
