/**
 * A scripted NVMe/TCP "controller" on a real socket (127.0.0.1, ephemeral
 * port) for testing the host transport: each connection runs a script that
 * reads the host's PDUs (parsed with the controller-side PduReceiver, so
 * malformed host output fails the test) and writes whatever bytes it likes.
 */
import { createServer, type Server, type Socket } from 'node:net';
import { PduReceiver, PduType, type PduHeader } from '../../../src/spec/tcp/index.js';
import { TransportError } from '../../../src/spec/errors.js';

/** One PDU the host sent, copied out of the receiver. */
export interface HostPdu {
  type: number;
  flags: number;
  /** The raw PDU as it was on the wire (header, digests, data). */
  bytes: Buffer;
  /** CapsuleCmd: the SQE's CID; H2CData: CCCID. */
  cid: number;
  ttag: number;
  datao: number;
  datal: number;
  fes: number;
  fei: number;
  sqe: Buffer | null;
  data: Buffer | null;
  hdgst: boolean;
  ddgst: boolean;
}

export class FakeConnection {
  /** Error the controller-side receiver found in the host's stream, if any. */
  protocolError: Error | null = null;
  /** Resolves when the socket closed. */
  readonly closed: Promise<void>;
  /**
   * Digests this controller offers; set it before the ICReq arrives. The ones
   * the host also asks for are `granted` (the script's ICResp must say so) and
   * expected on every later host PDU.
   */
  offer = { hdgst: false, ddgst: false };
  granted = { hdgst: false, ddgst: false };

  private readonly queue: HostPdu[] = [];
  private waiter: ((pdu: HostPdu | null) => void) | null = null;
  private ended = false;
  private readonly rx: PduReceiver;
  /** Every byte the host sent, in order: `stream[0, streamLength)`. */
  private stream = Buffer.alloc(1 << 16);
  private streamLength = 0;
  /** Stream offset of the PDU being received. */
  private pduStart = 0;

  constructor(readonly socket: Socket) {
    this.rx = new PduReceiver({
      role: 'controller',
      maxDataLength: 16 << 20,
      handler: {
        onPdu: (hdr, data) => this.onPdu(hdr, data),
        onError: (err) => {
          this.protocolError = err;
          this.finish();
        },
      },
    });
    socket.on('data', (chunk: Buffer) => {
      this.append(chunk);
      this.rx.push(chunk);
    });
    socket.on('error', () => undefined);
    this.closed = new Promise((resolve) =>
      socket.once('close', () => {
        this.finish();
        resolve();
      }),
    );
  }

  /** The next PDU from the host, or null once the connection closed (or the host's stream broke). */
  next(): Promise<HostPdu | null> {
    const pdu = this.queue.shift();
    if (pdu !== undefined) return Promise.resolve(pdu);
    if (this.ended) return Promise.resolve(null);
    return new Promise((resolve) => (this.waiter = resolve));
  }

  /** Like `next`, but the PDU must exist and be of `type`. */
  async expect(type: number): Promise<HostPdu> {
    const pdu = await this.next();
    if (pdu === null) throw new Error(`expected PDU type ${type}, the connection ended (${String(this.protocolError)})`);
    if (pdu.type !== type) throw new Error(`expected PDU type ${type}, got ${pdu.type}`);
    return pdu;
  }

  send(...bufs: Buffer[]): void {
    for (const b of bufs) this.socket.write(b);
  }

  /** Every byte the host sent so far. */
  hostBytes(): Buffer {
    return this.stream.subarray(0, this.streamLength);
  }

  private append(chunk: Buffer): void {
    if (this.streamLength + chunk.length > this.stream.length) {
      const grown = Buffer.alloc(Math.max(this.stream.length * 2, this.streamLength + chunk.length));
      this.stream.copy(grown, 0, 0, this.streamLength);
      this.stream = grown;
    }
    this.streamLength += chunk.copy(this.stream, this.streamLength);
  }

  private onPdu(hdr: PduHeader, data: Buffer | null): void {
    const bytes = Buffer.from(this.stream.subarray(this.pduStart, this.pduStart + hdr.plen));
    this.pduStart += hdr.plen;
    const type = hdr.type;
    if (type === PduType.IC_REQ) {
      this.granted = { hdgst: this.offer.hdgst && (hdr.dgst & 1) !== 0, ddgst: this.offer.ddgst && (hdr.dgst & 2) !== 0 };
      this.rx.setDigests(this.granted.hdgst, this.granted.ddgst);
    }
    const isCmd = type === PduType.CAPSULE_CMD;
    const pdu: HostPdu = {
      type,
      flags: hdr.flags,
      bytes,
      cid: isCmd ? hdr.sqe.readUInt16LE(2) : hdr.cccid,
      ttag: hdr.ttag,
      datao: hdr.datao,
      datal: hdr.datal,
      fes: hdr.fes,
      fei: hdr.fei,
      sqe: isCmd ? Buffer.from(hdr.sqe) : null,
      data: data === null ? null : Buffer.from(data),
      hdgst: hdr.hasHeaderDigest,
      ddgst: hdr.hasDataDigest,
    };
    if (this.waiter !== null) {
      const w = this.waiter;
      this.waiter = null;
      w(pdu);
    } else {
      this.queue.push(pdu);
    }
  }

  private finish(): void {
    this.ended = true;
    if (this.waiter !== null) {
      const w = this.waiter;
      this.waiter = null;
      w(null);
    }
  }
}

/** A listening fake target; `script` runs once per accepted connection. */
export class FakeTarget {
  readonly connections: FakeConnection[] = [];
  /** Rejections of connection scripts. */
  readonly scriptErrors: unknown[] = [];
  private readonly scripts: Promise<void>[] = [];
  private connWaiters: Array<() => void> = [];

  private constructor(
    private readonly server: Server,
    readonly port: number,
  ) {}

  static async start(script: (conn: FakeConnection) => Promise<void> | void, host = '127.0.0.1'): Promise<FakeTarget> {
    const server = createServer();
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, host, resolve);
    });
    const address = server.address();
    if (address === null || typeof address === 'string') throw new TransportError('fake target has no port');
    const target = new FakeTarget(server, address.port);
    server.on('connection', (socket) => {
      socket.setNoDelay(true);
      const conn = new FakeConnection(socket);
      target.connections.push(conn);
      target.scripts.push(
        Promise.resolve()
          .then(() => script(conn))
          .catch((err: unknown) => {
            target.scriptErrors.push(err);
          }),
      );
      for (const w of target.connWaiters.splice(0)) w();
    });
    return target;
  }

  /** Connection number `i` (0-based), once accepted. */
  async connection(i: number): Promise<FakeConnection> {
    while (this.connections.length <= i) await new Promise<void>((resolve) => this.connWaiters.push(resolve));
    return this.connections[i]!;
  }

  /** Waits for every connection script to finish; throws the first script error. */
  async settled(): Promise<void> {
    await Promise.all(this.scripts);
    if (this.scriptErrors.length > 0) throw this.scriptErrors[0];
  }

  async close(): Promise<void> {
    for (const c of this.connections) c.socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
