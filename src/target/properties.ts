/**
 * Controller properties as Fabrics Property Get/Set reach them (the registers
 * of a PCIe controller): CAP, VS, CC and CSTS. A table of offset -> size,
 * getter and optional setter; everything else is INVALID FIELD, as in Linux
 * nvmet and SPDK.
 */
import { CapCss, encodeCap, encodeVs, Register } from '../spec/registers.js';
import { Status } from './command-status.js';
import type { Controller } from './controller.js';

/** The NVMe version this target implements (VS and Identify VER). */
export const NVME_VERSION = encodeVs({ mjr: 1, mnr: 3, ter: 0 });

/** CAP.TO: worst-case time to ready, in 500 ms units (7.5 s). */
const CAP_TIMEOUT = 15;

interface Property {
  size: 4 | 8;
  get(ctrl: Controller): bigint;
  set?(ctrl: Controller, value: bigint): void;
}

/** CAP: MQES from the transport's queue depth, contiguous queues, NVM command set, 4 KiB pages only. */
export function capOf(ctrl: Controller): bigint {
  return encodeCap({
    mqes: ctrl.info.maxQueueDepth - 1,
    cqr: true,
    to: CAP_TIMEOUT,
    dstrd: 0,
    css: CapCss.NVM,
    mpsmin: 0,
    mpsmax: 0,
  });
}

const PROPERTIES = new Map<number, Property>([
  [Register.CAP, { size: 8, get: capOf }],
  [Register.VS, { size: 4, get: () => BigInt(NVME_VERSION) }],
  [Register.CC, { size: 4, get: (c) => BigInt(c.cc), set: (c, v) => c.writeCc(Number(v)) }],
  [Register.CSTS, { size: 4, get: (c) => BigInt(c.csts) }],
]);

export interface PropertyGetResult {
  status: number;
  value: bigint;
}

/**
 * Reads a property. A 4-byte read of either half of an 8-byte property is
 * allowed (SPDK allows it; some hosts read CAP as two dwords).
 */
export function getProperty(ctrl: Controller, offset: number, size: 4 | 8): PropertyGetResult {
  const exact = PROPERTIES.get(offset);
  if (exact && (exact.size === size || size === 4)) {
    const value = exact.get(ctrl);
    return { status: Status.SUCCESS, value: size === 4 ? value & 0xffffffffn : value };
  }
  const wide = PROPERTIES.get(offset - 4);
  if (size === 4 && wide?.size === 8) return { status: Status.SUCCESS, value: wide.get(ctrl) >> 32n };
  return { status: Status.INVALID_FIELD, value: 0n };
}

/** Writes a property; read-only, unknown and wrongly sized ones are INVALID FIELD. */
export function setProperty(ctrl: Controller, offset: number, size: 4 | 8, value: bigint): number {
  const prop = PROPERTIES.get(offset);
  if (!prop?.set || prop.size !== size) return Status.INVALID_FIELD;
  prop.set(ctrl, value);
  return Status.SUCCESS;
}
