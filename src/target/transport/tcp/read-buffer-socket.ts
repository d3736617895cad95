/**
 * Accepted sockets that read into buffers of their own.
 *
 * Node's `onread` option (every read lands in one caller-owned buffer and
 * goes straight to a callback: no Buffer, no stream 'data' event and no copy
 * of the read into a right-sized Buffer per read) only exists for sockets the
 * caller constructs, and `net.Server` constructs the sockets it accepts. So
 * the listener accepts paused (`pauseOnConnect`) and the accepted socket's
 * handle moves into a new Socket built with `onread`, the way Node's cluster
 * module hands handles between sockets.
 */
import { Socket, type OnReadOpts, type SocketConstructorOpts } from 'node:net';
import { TransportError } from '../../../spec/errors.js';

/**
 * Called with the number of bytes read into the buffer last handed out; that
 * buffer is read into again unless the next call of the generator returns
 * another. Returning false pauses the socket.
 */
export type ReadCallback = (nread: number) => boolean;

/** `net.Socket`'s handle field, private but what Node's cluster module moves between sockets. */
interface HandleCarrier {
  _handle: object | null | undefined;
}

/** The Socket constructor's options as Node reads them: `onread` (typed for `connect` only) and `handle`. */
interface AdoptingSocketOpts extends SocketConstructorOpts {
  handle: object;
  onread: OnReadOpts;
}

/**
 * Moves the connection of `accepted` (accepted with `pauseOnConnect`) into a
 * new Socket that reads into the buffer `nextBuffer` returns (asked once now
 * and after every read) and calls `onRead` for every read.
 * `accepted` is left closed without closing the connection; it also no
 * longer counts against its server's `maxConnections`.
 * @throws TransportError when `accepted` is already closed
 */
export function withReadBuffer(accepted: Socket, nextBuffer: () => Buffer, onRead: ReadCallback): Socket {
  const carrier = accepted as unknown as HandleCarrier;
  const handle = carrier._handle;
  if (handle === null || handle === undefined) {
    throw new TransportError('the accepted socket has no handle: closed before it could be served');
  }
  carrier._handle = null;
  accepted.destroy();
  const opts: AdoptingSocketOpts = {
    handle,
    readable: true,
    writable: true,
    onread: { buffer: nextBuffer, callback: onRead },
  };
  return new Socket(opts);
}
