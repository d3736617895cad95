/**
 * Turning what the driver throws into the one line a CLI prints: said from the
 * user's side (which address, which subsystem, which host), with a hint at the
 * usual cause, and an exit code (2 for bad input, 1 for everything else).
 */
import { ConnectRejectedError } from '../nvme-driver/fabrics.js';
import type { TransportId } from '../nvme-driver/transport-id.js';
import { CommandTimeoutError, ConfigError, ProtocolError, TransportError } from '../spec/errors.js';
import { isConnectDataParameter } from '../spec/fabrics.js';
import { FabricsCommandStatus, NvmeStatusError, StatusCodeType } from '../spec/status.js';

/** Process exit codes of the nvmekit CLIs. */
export const ExitCode = {
  OK: 0,
  /** Anything that went wrong at run time: unreachable target, rejected Connect, lost connection. */
  FAILURE: 1,
  /** Bad flags or a bad transport ID: nothing was attempted. */
  USAGE: 2,
} as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

/** What the CLI was doing when the error came, so the message can say it. */
export interface ErrorContext {
  /** The controller the CLI was reaching. */
  trid?: TransportId;
  /** The host NQN presented in Fabrics Connect. */
  hostnqn?: string;
  /** True once `connect()` returned: later transport errors are lost connections, not failed connects. */
  connected: boolean;
}

/** One line for stderr (without the program name) and the exit code. */
export interface CliFailure {
  message: string;
  exitCode: ExitCode;
}

/** `127.0.0.1:4420`, `[::1]:4420`, or the PCI address. */
export function endpointLabel(trid: TransportId | undefined): string {
  if (!trid) return 'the controller';
  if (trid.trtype === 'PCIe' || trid.trsvcid === undefined) return trid.traddr ?? 'the controller';
  const host = trid.traddr?.includes(':') ? `[${trid.traddr}]` : trid.traddr;
  return `${host}:${trid.trsvcid}`;
}

/**
 * Socket failures by errno, in words, with the usual cause. Timeouts are not
 * here: the transport's own message says which step ran out of time.
 */
const SOCKET_FAILURES: Readonly<Record<string, string>> = {
  ECONNREFUSED: 'connection refused (is a target listening?)',
  ECONNRESET: 'connection closed by the target',
  EPIPE: 'connection closed by the target',
  EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'network unreachable',
  ENOTFOUND: 'address not found',
  EADDRNOTAVAIL: 'local address not available (check hostaddr)',
  EADDRINUSE: 'local address already in use (check hostsvcid)',
};

function subnqnOf(ctx: ErrorContext): string {
  return ctx.trid?.subnqn ?? 'the subsystem';
}

/** Connect rejections by status code (SCT 1), as the user would put them. */
const CONNECT_REJECTIONS: Readonly<Record<number, (err: ConnectRejectedError, ctx: ErrorContext, at: string) => string>> = {
  [FabricsCommandStatus.CONNECT_INVALID_HOST]: (_err, ctx, at) =>
    `host ${ctx.hostnqn ?? '(this host)'} is not allowed by subsystem ${subnqnOf(ctx)} on ${at}`,
  [FabricsCommandStatus.CONNECT_INVALID_PARAMETERS]: (err, ctx, at) => {
    const field = err.invalidParameter;
    if (field === 'subnqn') return `subsystem ${subnqnOf(ctx)} not found on ${at}`;
    const what = field
      ? `invalid ${field.toUpperCase()} in the connect ${isConnectDataParameter(field) ? 'data' : 'command'}`
      : 'invalid parameters';
    return `${at} rejected the Connect to ${subnqnOf(ctx)}: ${what}`;
  },
  [FabricsCommandStatus.CONNECT_CONTROLLER_BUSY]: (_err, ctx, at) =>
    `subsystem ${subnqnOf(ctx)} on ${at} has no controller free for this host (CONNECT CONTROLLER BUSY)`,
  [FabricsCommandStatus.CONNECT_RESTART_DISCOVERY]: (_err, ctx, at) =>
    `${at} asks to restart discovery: subsystem ${subnqnOf(ctx)} moved (CONNECT RESTART DISCOVERY)`,
  [FabricsCommandStatus.AUTHENTICATION_REQUIRED]: (_err, ctx, at) =>
    `subsystem ${subnqnOf(ctx)} on ${at} requires in-band authentication, which nvmekit does not implement`,
};

function connectRejection(err: ConnectRejectedError, ctx: ErrorContext, at: string): string {
  const known = err.sct === StatusCodeType.COMMAND_SPECIFIC ? CONNECT_REJECTIONS[err.sc] : undefined;
  return known ? known(err, ctx, at) : `${at} rejected the Connect to ${subnqnOf(ctx)}: ${err.statusName}`;
}

/** `message` from after `<at>: `, when the transport already named the address (`NVMe/TCP qid 0 to <at>: ...`). */
function withoutAddress(message: string, at: string): string {
  const i = message.indexOf(`${at}: `);
  return i < 0 ? message : message.slice(i + at.length + 2);
}

/**
 * The one-line message and exit code for `err`. Bad input (ConfigError) is a
 * usage error; the rest are runtime failures named after what the user was
 * trying to reach.
 */
export function describeError(err: unknown, ctx: ErrorContext): CliFailure {
  const at = endpointLabel(ctx.trid);
  const failure = (message: string): CliFailure => ({ message, exitCode: ExitCode.FAILURE });
  if (err instanceof ConfigError) return { message: err.message, exitCode: ExitCode.USAGE };
  if (err instanceof CommandTimeoutError) {
    const what = `${err.command} got no completion within ${err.timeoutMs} ms`;
    return failure(ctx.connected ? `${at}: ${what}` : `cannot connect to ${at}: ${what}`);
  }
  if (err instanceof TransportError) {
    const text = (err.code !== undefined ? SOCKET_FAILURES[err.code] : undefined) ?? withoutAddress(err.message, at);
    return failure(ctx.connected ? `lost the connection to ${at}: ${text}` : `cannot connect to ${at}: ${text}`);
  }
  if (err instanceof NvmeStatusError) {
    if (!ctx.connected && err instanceof ConnectRejectedError) return failure(connectRejection(err, ctx, at));
    return failure(ctx.connected ? `${at}: ${err.message}` : `cannot initialize the controller at ${at}: ${err.message}`);
  }
  if (err instanceof ProtocolError) {
    const what = `protocol error: ${err.message}`;
    return failure(ctx.connected ? `${at}: ${what}` : `cannot connect to ${at}: ${what} (is it an NVMe-oF target?)`);
  }
  return failure(err instanceof Error ? err.message : String(err));
}
