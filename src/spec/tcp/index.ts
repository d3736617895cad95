/** NVMe/TCP PDU codec shared by the host transport and the target listener. */
export * from './pdu-types.js';
export * from './pdu-error.js';
export * from './crc32c.js';
export * from './pdu-header.js';
export * from './pdu-encode.js';
export * from './pdu-receiver.js';
export * from './ic.js';
