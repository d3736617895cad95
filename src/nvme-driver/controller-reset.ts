/**
 * Controller reset of a memory-mapped (PCIe) controller, SPDK's
 * spdk_nvme_ctrlr_reset: CC.EN = 0 takes every queue away, so the commands the
 * controller held fail (retryable) while new ones wait; then the admin queue is
 * programmed again and enabled, the admin state a reset clears is restored
 * (Number of Queues, Keep Alive Timer, Async Event Configuration and the AERs),
 * and every I/O queue is created again on the same rings.
 */
import { TransportError } from '../spec/errors.js';
import { encodeFeature, FeatureId, KeepAliveTimer } from '../spec/features.js';
import { decodeCc, encodeCc, Register } from '../spec/registers.js';
import { configureAsyncEvents, enable, readyTimeout, requestIoQueues, waitForReady, type InitContext } from './controller-init.js';
import { createIoQueues } from './io-qpair.js';
import type { QueuePair } from './queue-pair.js';
import { withTimeout } from './wait.js';

/**
 * Resets the controller `c` describes and brings back `ioQpairs` (this thread's
 * I/O queue pairs); the admin queue pair is `c.admin`.
 * @throws TransportError when the controller does not follow CC.EN within CAP.TO,
 *   or grants fewer I/O queues than are open; NvmeStatusError from a refused command
 */
export async function resetMemoryMapped(c: InitContext, ioQpairs: readonly QueuePair[]): Promise<void> {
  const admin = c.admin!;
  admin.suspend();
  for (const qp of ioQpairs) qp.suspend();
  c.trace('resetting: CC.EN = 0');
  const cc = decodeCc(await c.regs.read32(Register.CC));
  await c.regs.write32(Register.CC, encodeCc({ ...cc, en: false, shn: 0 }));
  await readyWithin(c, false);
  // The transport's enable hook programs AQA/ASQ/ACQ and empties every ring of the controller.
  await enable(c);
  await readyWithin(c, true);
  admin.resume();
  const granted = await requestIoQueues(c);
  const highest = Math.max(0, ...ioQpairs.map((qp) => qp.qid));
  if (granted < highest) {
    throw new TransportError(`after the reset the controller grants ${granted} I/O queues; queue pair qid:${highest} is open`, 'EIO');
  }
  if (c.keepAliveTimeoutMs > 0) {
    await c.adminCommands.setFeatures(FeatureId.KEEP_ALIVE_TIMER, encodeFeature(KeepAliveTimer, { kato: c.keepAliveTimeoutMs }));
  }
  await configureAsyncEvents(c);
  c.aer?.start();
  for (const qp of ioQpairs) {
    await createIoQueues(c.adminCommands, qp.qid, qp.qsize, qp.queueMemory!);
    qp.resume();
  }
  c.trace(`reset done: ${ioQpairs.length} I/O queue pair(s) created again`);
}

/** Waits for CSTS.RDY = `rdy` within CAP.TO. */
async function readyWithin(c: InitContext, rdy: boolean): Promise<void> {
  const timeoutMs = readyTimeout(c);
  let expired: Error | null = null;
  await withTimeout(
    waitForReady(c, rdy, () => expired),
    timeoutMs,
    () => (expired = new TransportError(`reset: CSTS.RDY did not become ${rdy ? 1 : 0} within ${timeoutMs} ms (CAP.TO)`, 'ETIMEDOUT')),
  );
}
