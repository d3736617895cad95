/**
 * Command and completion lines in SPDK's format (`spdk_nvme_print_command`,
 * `spdk_nvme_print_completion` in lib/nvme/nvme_qpair.c), so a `--trace` of
 * nvmekit can be diffed against SPDK's log. The data pointer SPDK appends is
 * left out: the transport fills it after the driver traces.
 */
import { CqeOffset } from '../spec/cqe.js';
import { fabricsCommandTypeName, FabricsSqeOffset } from '../spec/fabrics.js';
import { featureName } from '../spec/features.js';
import { AdminOpcode, adminOpcodeName, FABRICS_OPCODE, IoOpcode, ioOpcodeName } from '../spec/opcodes.js';
import { SqeOffset } from '../spec/sqe.js';
import { statusName } from '../spec/status.js';

/** I/O commands SPDK prints with their LBA range, and those it prints with only the NSID. */
const LBA_COMMANDS = new Set<number>([IoOpcode.READ, IoOpcode.WRITE, IoOpcode.WRITE_UNCORRECTABLE, IoOpcode.COMPARE]);
const NSID_COMMANDS = new Set<number>([IoOpcode.FLUSH, IoOpcode.DATASET_MANAGEMENT]);
const FEATURE_COMMANDS = new Set<number>([AdminOpcode.SET_FEATURES, AdminOpcode.GET_FEATURES]);

/**
 * The SQE at `offset` of `sqe`, on queue `qid`, as SPDK prints it:
 * `READ sqid:1 cid:7 nsid:1 lba:0 len:8`,
 * `IDENTIFY (06) qid:0 cid:3 nsid:0 cdw10:00000001 cdw11:00000000`,
 * `SET FEATURES NUMBER OF QUEUES cid:5 cdw10:00000007`, `FABRIC CONNECT qid:0 cid:0`.
 */
export function formatCommand(qid: number, sqe: Buffer, offset = 0): string {
  const opc = sqe[offset + SqeOffset.OPC]!;
  const cid = sqe.readUInt16LE(offset + SqeOffset.CID);
  const nsid = sqe.readUInt32LE(offset + SqeOffset.NSID);
  const cdw10 = sqe.readUInt32LE(offset + SqeOffset.CDW10);
  if (opc === FABRICS_OPCODE) {
    return `FABRIC ${fabricsCommandTypeName(sqe[offset + FabricsSqeOffset.FCTYPE]!)} qid:${qid} cid:${cid}`;
  }
  if (qid === 0) {
    if (FEATURE_COMMANDS.has(opc)) {
      return `${adminOpcodeName(opc)} ${featureName(cdw10 & 0xff)} cid:${cid} cdw10:${hex(cdw10, 8)}`;
    }
    const cdw11 = sqe.readUInt32LE(offset + SqeOffset.CDW11);
    return `${adminOpcodeName(opc)} (${hex(opc, 2)}) qid:${qid} cid:${cid} nsid:${nsid.toString(16)} cdw10:${hex(cdw10, 8)} cdw11:${hex(cdw11, 8)}`;
  }
  const name = ioOpcodeName(opc);
  if (LBA_COMMANDS.has(opc)) {
    const lba = (BigInt(sqe.readUInt32LE(offset + SqeOffset.CDW11)) << 32n) | BigInt(cdw10);
    const len = (sqe.readUInt32LE(offset + SqeOffset.CDW12) & 0xffff) + 1;
    return `${name} sqid:${qid} cid:${cid} nsid:${nsid} lba:${lba} len:${len}`;
  }
  if (NSID_COMMANDS.has(opc)) return `${name} sqid:${qid} cid:${cid} nsid:${nsid}`;
  return `${name} (${hex(opc, 2)}) sqid:${qid} cid:${cid} nsid:${nsid}`;
}

/**
 * The CQE at `offset` of `cqe`, completing a command on queue `qid`:
 * `SUCCESS (00/00) qid:1 cid:7 cdw0:0 sqhd:0003 p:0 m:0 dnr:0`.
 * @param opc the command's opcode, to name Fabrics-specific status codes right
 */
export function formatCompletion(qid: number, cqe: Buffer, offset = 0, opc?: number): string {
  const word = cqe.readUInt16LE(offset + CqeOffset.STATUS);
  const sc = (word >> 1) & 0xff;
  const sct = (word >> 9) & 0x7;
  const m = (word >> 14) & 1;
  const dnr = (word >> 15) & 1;
  const cid = cqe.readUInt16LE(offset + CqeOffset.CID);
  const cdw0 = cqe.readUInt32LE(offset + CqeOffset.CDW0);
  const sqhd = cqe.readUInt16LE(offset + CqeOffset.SQHD);
  return `${statusName(sct, sc, opc)} (${hex(sct, 2)}/${hex(sc, 2)}) qid:${qid} cid:${cid} cdw0:${cdw0.toString(16)} sqhd:${hex(sqhd, 4)} p:${word & 1} m:${m} dnr:${dnr}`;
}

function hex(n: number, width: number): string {
  return n.toString(16).padStart(width, '0');
}
