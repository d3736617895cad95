/**
 * Admin command dispatch (Linux nvmet `admin-cmd.c`, SPDK
 * `nvmf_ctrlr_process_admin_cmd`): one table entry per opcode saying which
 * handler runs it, whether it may run before CC.EN = 1, and whether a
 * discovery controller has it. Unknown opcodes are INVALID OPCODE; known ones
 * before the controller is enabled are COMMAND SEQUENCE ERROR.
 */
import { AdminOpcode } from '../spec/opcodes.js';
import { Status } from './command-status.js';
import type { Controller } from './controller.js';
import { executeGetFeatures, executeSetFeatures } from './feature-commands.js';
import { executeIdentify } from './identify-command.js';
import { executeGetLogPage } from './log-page-command.js';
import type { TargetRequest } from './request.js';

interface AdminCommand {
  run(ctrl: Controller, req: TargetRequest, sqe: Buffer, data: Buffer | null): void;
  /** May run while CC.EN = 0 (only Identify, besides the Fabrics commands). */
  beforeEnable?: boolean;
  /** A discovery controller accepts it too. */
  discovery: boolean;
}

const ADMIN_COMMANDS = new Map<number, AdminCommand>([
  [AdminOpcode.IDENTIFY, { run: executeIdentify, beforeEnable: true, discovery: true }],
  [AdminOpcode.GET_LOG_PAGE, { run: (c, r, s) => executeGetLogPage(c, r, s, ADMIN_OPCODES), discovery: true }],
  [AdminOpcode.GET_FEATURES, { run: executeGetFeatures, discovery: true }],
  [AdminOpcode.SET_FEATURES, { run: executeSetFeatures, discovery: true }],
  [AdminOpcode.ASYNC_EVENT_REQUEST, { run: (c, r) => c.asyncEvents.submit(r), discovery: true }],
  [AdminOpcode.KEEP_ALIVE, { run: keepAlive, discovery: true }],
  [AdminOpcode.ABORT, { run: abort, discovery: false }],
]);

/** Abort completion dword 0 bit 0: the command was not aborted. */
const ABORT_NOT_ABORTED = 1;

/** The admin opcodes an I/O controller implements (the effects log lists them). */
const ADMIN_OPCODES: readonly number[] = [...ADMIN_COMMANDS.keys()].sort((a, b) => a - b);

export function executeAdminCommand(ctrl: Controller, req: TargetRequest, sqe: Buffer, data: Buffer | null): void {
  const cmd = ADMIN_COMMANDS.get(req.opc);
  if (cmd === undefined || (ctrl.isDiscovery && !cmd.discovery)) {
    req.complete(Status.INVALID_OPCODE);
    return;
  }
  if (!ctrl.ready && !cmd.beforeEnable) {
    req.complete(Status.COMMAND_SEQUENCE_ERROR);
    return;
  }
  cmd.run(ctrl, req, sqe, data);
}

/** Keep Alive: the command itself is the traffic the timer looks for; without a KATO it makes no sense. */
function keepAlive(ctrl: Controller, req: TargetRequest): void {
  req.complete(ctrl.katoMs === 0 && !ctrl.isDiscovery ? Status.KEEP_ALIVE_TIMEOUT_INVALID : Status.SUCCESS);
}

/**
 * Abort: commands here complete as soon as their device does, so there is
 * never one to abort; dword 0 bit 0 set says "not aborted", as Linux nvmet says.
 */
function abort(_ctrl: Controller, req: TargetRequest): void {
  req.complete(Status.SUCCESS, ABORT_NOT_ABORTED);
}
