/**
 * NVMe/TCP PDU errors: a ProtocolError that also carries what a TermReq reports.
 */
import { ProtocolError } from '../errors.js';
import { FES_NAMES } from './pdu-types.js';

/**
 * A received PDU breaks NVMe/TCP. Fatal for the connection: answer with a
 * TermReq carrying `fes` and `fei` (see `encodeTermReq`), then close.
 */
export class PduError extends ProtocolError {
  declare readonly fes: number;
  /**
   * @param field the offending field (`pdu-type`, `hlen`, `pdo`, `plen`, `hdgst`, `datal`...)
   * @param value what was received
   * @param detail what was expected
   * @param fes Fatal Error Status for the TermReq (`Fes`)
   * @param fei Fatal Error Information: byte offset of the offending field within the PDU
   */
  constructor(
    field: string,
    value: unknown,
    detail: string,
    fes: number,
    readonly fei: number,
  ) {
    super(field, value, `${detail} (${FES_NAMES[fes] ?? `FES ${fes}`})`, fes);
  }
}

/**
 * The data digest of a data PDU did not match. The PDU was framed correctly,
 * so the stream stays in sync and the error belongs to one command: Linux's
 * host completes that command with Data Transfer Error and carries on, SPDK's
 * target with Transient Transport Error; Linux's target drops the connection.
 * The spec defines no FES for it, so `fes` is undefined; a consumer that
 * treats it as fatal closes the connection without a TermReq.
 */
export class DataDigestError extends ProtocolError {
  constructor(
    /** The digest carried by the PDU. */
    readonly received: number,
    /** The digest computed over the data. */
    readonly expected: number,
    /** Byte offset of the DDGST field from the start of the PDU. */
    readonly offset: number,
  ) {
    super('ddgst', received, `data digest mismatch, computed 0x${expected.toString(16).padStart(8, '0')}`);
  }
}
