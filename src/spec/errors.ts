/**
 * Error types shared by every layer. Each names what was expected and what came,
 * so a message is useful without a debugger.
 */

/** A peer sent bytes that break the wire protocol (NVMe/TCP PDU, capsule, connect data...). */
export class ProtocolError extends Error {
  override readonly name = 'ProtocolError';
  /**
   * @param field the offending field, e.g. `plen`, `hdgst`, `pdu-type`
   * @param value what was received
   * @param detail what was expected
   */
  constructor(
    readonly field: string,
    readonly value: unknown,
    detail: string,
    /** NVMe/TCP Fatal Error Status to report in a TermReq, when this is a TCP PDU error. */
    readonly fes?: number,
  ) {
    super(`${field}=${formatValue(value)}: ${detail}`);
  }
}

/** The transport failed: connection refused or lost, socket error, queue torn down. */
export class TransportError extends Error {
  override readonly name: string = 'TransportError';
  constructor(
    message: string,
    /** errno-style code when one exists (ECONNREFUSED, ETIMEDOUT...). */
    readonly code?: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** A command got no completion within its timeout. */
export class CommandTimeoutError extends TransportError {
  override readonly name = 'CommandTimeoutError';
  constructor(
    readonly command: string,
    readonly timeoutMs: number,
  ) {
    super(`${command}: no completion after ${timeoutMs} ms`, 'ETIMEDOUT');
  }
}

/** Bad user input: a transport ID token, a CLI flag, an RPC parameter, a job-file key. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  /**
   * @param key the flag, token or parameter that is wrong (`trsvcid`, `--io-size`...)
   */
  constructor(
    readonly key: string,
    message: string,
  ) {
    super(`${key}: ${message}`);
  }
}

function formatValue(value: unknown): string {
  if (typeof value === 'number') return `${value} (0x${value.toString(16)})`;
  return String(value);
}
