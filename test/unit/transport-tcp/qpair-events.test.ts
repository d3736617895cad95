/**
 * QpairEventSource, the driver-facing half the TCP and RDMA queue pairs share:
 * a failure before the driver listens is held until it sets `events`, and the
 * driver hears at most one fatal error however often the queue pair fails or
 * is submitted to afterwards.
 */
import { describe, expect, it } from 'vitest';
import { TransportError } from '../../../src/spec/errors.js';
import { QpairEventSource, QpairState } from '../../../src/transport/qpair-events.js';
import type { QpairEvents } from '../../../src/transport/transport.js';

class Probe extends QpairEventSource {
  constructor() {
    super('probe qid 1');
  }
  open(): void {
    this.state = QpairState.READY;
  }
  close(): void {
    this.state = QpairState.CLOSING;
  }
  die(err: Error): void {
    this.state = QpairState.CLOSED;
    this.reportFatal(err);
  }
  submit(): boolean {
    return this.readyToSubmit();
  }
}

function recorder(): QpairEvents & { fatals: Error[] } {
  const fatals: Error[] = [];
  return { fatals, onCompletion: () => undefined, onFatal: (err) => fatals.push(err) };
}

describe('QpairEventSource', () => {
  it('holds a failure that came before the driver set its events, then reports it once', () => {
    const qp = new Probe();
    const lost = new TransportError('lost', 'ECONNRESET');
    qp.die(lost);
    const events = recorder();
    qp.events = events;
    expect(events.fatals).toEqual([lost]);
    qp.die(new TransportError('again'));
    expect(qp.submit()).toBe(false);
    expect(events.fatals).toEqual([lost]);
  });

  it('a submit after the end reports that the queue pair is closed, once', () => {
    const qp = new Probe();
    const events = recorder();
    qp.events = events;
    qp.open();
    expect(qp.submit()).toBe(true);
    expect(events.fatals).toEqual([]);
    qp.close();
    expect(qp.submit()).toBe(false);
    expect(qp.submit()).toBe(false);
    expect(events.fatals.map((e) => [e.message, (e as TransportError).code])).toEqual([['probe qid 1: queue pair is closed', 'ECONNRESET']]);
  });

  it('gives placeholder events until the driver sets its own', () => {
    const qp = new Probe();
    expect(() => qp.events.onFatal(new Error('nobody listens'))).not.toThrow();
    const events = recorder();
    qp.events = events;
    expect(qp.events).toBe(events);
  });
});
