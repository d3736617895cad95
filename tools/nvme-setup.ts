#!/usr/bin/env node
/**
 * nvme-setup: moves NVMe controllers between the kernel's nvme driver and
 * vfio-pci, as SPDK's scripts/setup.sh does (`bind` = setup.sh, `reset` =
 * setup.sh reset, `status` = setup.sh status).
 */
import { createProgram, runCli } from '../src/cli/program.js';
import { bindKernel, bindVfio, iommuEnabled, setupStatus, type ControllerSetupStatus } from '../src/transport/pcie/pci-setup.js';
import { ENABLE_IOMMU } from '../src/transport/pcie/pci-sysfs.js';

const NAME = 'nvme-setup';

const program = createProgram(NAME, 'Bind NVMe controllers to vfio-pci for nvmekit (trtype:PCIe), give them back to the kernel, or show where they are.')
  .argument('[command]', 'status (default), bind or reset', 'status')
  .argument('[bdf...]', 'PCI addresses (default: every NVMe controller)')
  .addHelpText(
    'after',
    `
Commands:
  status  every NVMe controller: address, vendor:device, driver, IOMMU group, namespaces and their users
  bind    hand controllers to vfio-pci (refused when a namespace is mounted, swapped on or held)
  reset   give controllers back to the kernel nvme driver

Examples:
  ${NAME} bind 0000:04:00.0 && nvme-identify -r "trtype:PCIe traddr:0000:04:00.0"
  ${NAME} reset`,
  );

function statusLine(c: ControllerSetupStatus): string {
  const disks = c.disks.length ? ` ${c.disks.join(',')}` : '';
  const users = c.users.length ? ` (in use: ${c.users.join('; ')})` : '';
  return `${c.bdf} ${c.id} driver=${c.driver ?? '-'} iommu_group=${c.iommuGroup ?? '-'}${disks}${users}`;
}

async function main(): Promise<void> {
  const [command, bdfs] = program.processedArgs as [string, string[]];
  const targets = bdfs.length > 0 ? bdfs : setupStatus().map((c) => c.bdf);
  const run = (action: (bdf: string) => string): void => {
    for (const bdf of targets) console.log(action(bdf));
  };
  if (command === 'bind') run(bindVfio);
  else if (command === 'reset') run(bindKernel);
  else if (command === 'status') {
    const all = setupStatus();
    for (const c of all) console.log(statusLine(c));
    if (all.length === 0) console.log('no NVMe controllers');
    if (!iommuEnabled()) console.log(`no IOMMU groups, so VFIO cannot work: ${ENABLE_IOMMU}`);
  } else {
    program.error(`unknown command '${command}' (status, bind or reset)`);
  }
}

process.exitCode = await runCli(program, process.argv, main);
