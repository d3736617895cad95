/**
 * Commander argument parsers: each checks one flag's value and, when it is
 * wrong, says what was expected (commander names the flag and the value).
 */
import { InvalidArgumentError } from 'commander';

/** An integer from `min` to `max`, written in decimal. */
export function integerArg(min: number, max: number): (value: string) => number {
  return (value) => {
    const n = /^\d+$/.test(value) ? Number(value) : NaN;
    if (!Number.isSafeInteger(n) || n < min || n > max) throw new InvalidArgumentError(`expected an integer from ${min} to ${max}`);
    return n;
  };
}
