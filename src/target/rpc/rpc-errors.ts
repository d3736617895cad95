/**
 * JSON-RPC 2.0 error codes and SPDK's additions to them (`spdk/jsonrpc.h`),
 * and the error a method handler throws to produce one.
 */
import { ConfigError } from '../../spec/errors.js';

/** Error codes, as JSON-RPC 2.0 and SPDK define them. */
export const RpcErrorCode = {
  /** Not JSON: the stream cannot be resynchronised, so the connection closes after the reply. */
  PARSE_ERROR: -32700,
  /** JSON, but not a request object (no `jsonrpc: "2.0"`, no method...). */
  INVALID_REQUEST: -32600,
  METHOD_NOT_FOUND: -32601,
  /** A parameter is missing, unknown, of the wrong type or out of range; the message names it. */
  INVALID_PARAMS: -32602,
  /** The handler failed for a reason that is not the caller's. */
  INTERNAL_ERROR: -32603,
  /** SPDK: the method is not allowed in the current framework state. */
  INVALID_STATE: -1,
} as const;
export type RpcErrorCode = (typeof RpcErrorCode)[keyof typeof RpcErrorCode];

/** SPDK's `-errno` codes a handler may answer with (`nvmf_create_transport` twice: -EEXIST). */
export const RpcErrno = { ENOENT: -2, EEXIST: -17, ENODEV: -19, EINVAL: -22, EBUSY: -16 } as const;

/** An error answer: a code and a message for the caller. */
export class RpcError extends Error {
  override readonly name = 'RpcError';
  constructor(
    readonly code: number,
    message: string,
  ) {
    super(message);
  }
}

/** -32602 naming the parameter: `Invalid parameters: nsid: expected ..., got ...`. */
export function invalidParams(param: string, problem: string): RpcError {
  return new RpcError(RpcErrorCode.INVALID_PARAMS, `Invalid parameters: ${param}: ${problem}`);
}

/**
 * The answer for whatever a handler threw: RpcError as is, ConfigError (the
 * object model refusing a value) as invalid params naming the field, anything
 * else as internal error.
 */
export function toRpcError(err: unknown): RpcError {
  if (err instanceof RpcError) return err;
  if (err instanceof ConfigError) return invalidParams(err.key, err.message.slice(err.key.length + 2));
  return new RpcError(RpcErrorCode.INTERNAL_ERROR, `Internal error: ${err instanceof Error ? err.message : String(err)}`);
}
