/**
 * The names SPDK's perf prints for controllers and namespaces
 * (`spdk_nvme_build_name`): `TCP (addr:127.0.0.1 subnqn:nqn...)`, with
 * ` NSID 1` for a namespace, and `PCIE (0000:04:00.0) [8086:0a54]` for PCIe.
 */
import type { TransportId } from '../nvme-driver/transport-id.js';

/** PCI vendor and device ID, shown after a PCIe address when known. */
export interface PciId {
  vendorId: number;
  deviceId: number;
}

const hex4 = (n: number): string => n.toString(16).padStart(4, '0');

/** A controller's name, as in `Attached to NVMeoF Controller at <name>`. */
export function perfControllerName(trid: TransportId, pciId?: PciId): string {
  if (trid.trtype === 'PCIe') {
    const id = pciId ? ` [${hex4(pciId.vendorId)}:${hex4(pciId.deviceId)}]` : '';
    return `PCIE (${trid.traddr ?? ''})${id}`;
  }
  return `${trid.trtype} (addr:${trid.traddr ?? ''} subnqn:${trid.subnqn ?? ''})`;
}

/** A namespace's name: the controller's, then ` NSID <n>`. */
export function perfNamespaceName(trid: TransportId, nsid: number, pciId?: PciId): string {
  return `${perfControllerName(trid, pciId)} NSID ${nsid}`;
}
