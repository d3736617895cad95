/** Test-only: the message of the error a call must throw, checked to be of the expected class. */
import { expect } from 'vitest';

/** Calls `fn`, expects it to throw an instance of `type`, and returns the error's message. */
export function thrownMessage(type: abstract new (...args: never[]) => Error, fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(type);
    return (e as Error).message;
  }
  throw new Error(`expected a ${type.name}`);
}
