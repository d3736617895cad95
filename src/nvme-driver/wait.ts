/** Timing helpers for the control path: deadlines and register polling. */

/** Resolves after `ms` milliseconds (a plain timer, so fake timers in tests drive it). */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * Settles like `work`, unless `timeoutMs` passes first: then rejects with
 * `onTimeout()`. 0 means no deadline. `work` keeps running; callers cancel it
 * by closing what it waits on.
 */
export function withTimeout<T>(work: Promise<T>, timeoutMs: number, onTimeout: () => Error): Promise<T> {
  if (timeoutMs <= 0) return work;
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(onTimeout()), timeoutMs);
    work.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (err: unknown) => {
        clearTimeout(timer);
        reject(err);
      },
    );
  });
}

/** Longest pause between two register reads while polling. */
const POLL_MAX_MS = 100;

/**
 * Reads until `done(value)` holds, pausing 1, 2, 4... up to 100 ms between reads
 * (each read is a round trip on fabrics). Stops with an error once `cancelled()`.
 */
export async function pollUntil<T>(
  read: () => Promise<T>,
  done: (value: T) => boolean,
  cancelled: () => Error | null,
): Promise<T> {
  for (let pause = 0; ; pause = Math.min(POLL_MAX_MS, Math.max(1, pause * 2))) {
    if (pause > 0) await sleep(pause);
    const stop = cancelled();
    if (stop) throw stop;
    const value = await read();
    if (done(value)) return value;
  }
}
