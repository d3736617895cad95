/**
 * NVMe over PCIe through VFIO, in user space. Importing this module registers
 * trtype `PCIe`; koffi and the device are only touched when a controller is
 * connected.
 */
import { registerTransport } from '../transport.js';
import { pcieTransport } from './pcie-controller.js';

registerTransport(pcieTransport);

export { pcieTransport, PcieController, PCIE_MAX_TRANSFER_SIZE, probeTransportIds, type PcieDevice } from './pcie-controller.js';
export { PcieQpair, qpairLayout, CSTS_CHECK_MS, type PcieQpairConfig, type QpairLayout } from './pcie-qpair.js';
export {
  listNvmeFunctions,
  probeNvmeControllers,
  readPciFunction,
  vfioBindCommands,
  vfioGroupOf,
  NVME_CLASS_CODE,
  type NvmeProbe,
  type PciFunction,
} from './pci-sysfs.js';
