/**
 * A namespace as the driver reports it (SPDK's `spdk_nvme_ns`): its Identify
 * data, the numbers an application sizes I/O with, its identifiers, and which
 * optional NVM commands the controller supports for it.
 */
import { decodeBits } from '../spec/bitfield.js';
import { ONCS_BITS, VWC_BITS, type IdentifyController } from '../spec/identify-controller.js';
import { hasExtendedLba, lbaSizeOf, metadataSizeOf, type IdentifyNamespace } from '../spec/identify-namespace.js';
import type { NamespaceIds } from '../spec/namespace-lists.js';

export class Namespace {
  /** Namespace ID. */
  readonly nsid: number;
  /** Identify Namespace data (nvme-cli key names). */
  readonly data: IdentifyNamespace;
  /** Namespace size in logical blocks (NSZE). */
  readonly numLbas: number;
  /** Logical block size in bytes, of the LBA format in use. */
  readonly lbaSize: number;
  /** Metadata bytes per block (0 for none). */
  readonly metadataSize: number;
  /** Metadata travels at the end of each block in the data buffer (FLBAS bit 4). */
  readonly extendedLba: boolean;
  /** `numLbas * lbaSize`. */
  readonly sizeBytes: number;
  /** Namespace identifiers from the NS Identification Descriptor list (or Identify Namespace). */
  readonly ids: NamespaceIds;
  readonly supportsCompare: boolean;
  /** Dataset Management (deallocate / trim). */
  readonly supportsDsm: boolean;
  readonly supportsWriteZeroes: boolean;
  /** The controller has a volatile write cache: Flush means something. */
  readonly volatileWriteCache: boolean;

  constructor(nsid: number, data: IdentifyNamespace, ctrlr: Pick<IdentifyController, 'oncs' | 'vwc'>, ids: NamespaceIds) {
    this.nsid = nsid;
    this.data = data;
    this.numLbas = Number(data.nsze);
    this.lbaSize = lbaSizeOf(data);
    this.metadataSize = metadataSizeOf(data);
    this.extendedLba = hasExtendedLba(data);
    this.sizeBytes = this.numLbas * this.lbaSize;
    this.ids = ids;
    const oncs = decodeBits(ONCS_BITS, ctrlr.oncs);
    this.supportsCompare = oncs.compare;
    this.supportsDsm = oncs.datasetManagement;
    this.supportsWriteZeroes = oncs.writeZeroes;
    this.volatileWriteCache = decodeBits(VWC_BITS, ctrlr.vwc).present;
  }

  /** Bytes one block occupies in a data buffer (with metadata when it is interleaved). */
  get blockBytes(): number {
    return this.extendedLba ? this.lbaSize + this.metadataSize : this.lbaSize;
  }
}
