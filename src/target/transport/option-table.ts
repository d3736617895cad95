/**
 * Transport options described by a table (name, SPDK's RPC name, default,
 * bounds, help), so one table drives defaults, validation, CLI flags and the
 * RPC schema. The NVMe/TCP (`tcp/options.ts`) and NVMe/RDMA (`rdma/options.ts`)
 * transports each have one.
 */
import { ConfigError } from '../../spec/errors.js';

/** One option of a transport whose options are `T`. */
export interface OptionInfo<T> {
  readonly key: keyof T & string;
  /** Name in `nvmf_create_transport` parameters (SPDK's, where SPDK has the option). */
  readonly rpcName: string;
  /** SPDK's transport has this option with this name and default. */
  readonly spdk: boolean;
  /** What the value counts; `flag` for booleans. */
  readonly unit: 'bytes' | 'entries' | 'flag';
  /** A default, or the key of an option listed earlier whose value is the default. */
  readonly defaultValue: number | boolean | (keyof T & string);
  readonly description: string;
  /** Inclusive bounds for numbers. */
  readonly min?: number;
  readonly max?: number;
  /** Extra rule for numbers; returns what is expected when `value` breaks it. */
  readonly check?: (value: number) => string | null;
}

export const powerOfTwo = (v: number): string | null => ((v & (v - 1)) === 0 ? null : 'a power of two');
export const multipleOf =
  (n: number) =>
  (v: number): string | null =>
    v % n === 0 ? null : `a multiple of ${n}`;

/**
 * Fills defaults and checks every option of `table`.
 * @throws ConfigError naming the option (by its camelCase key) and what was expected
 */
export function resolveOptions<T>(table: readonly OptionInfo<T>[], given: Partial<T>): T {
  const out: Record<string, number | boolean> = {};
  for (const info of table) {
    const dflt = info.defaultValue;
    const value = (given[info.key] as unknown) ?? (typeof dflt === 'string' ? out[dflt] : dflt);
    if (info.unit === 'flag') {
      if (typeof value !== 'boolean') throw new ConfigError(info.key, `expected true or false, got ${String(value)}`);
    } else {
      if (typeof value !== 'number' || !Number.isInteger(value) || value < info.min! || value > info.max!) {
        throw new ConfigError(info.key, `expected an integer from ${info.min} to ${info.max}, got ${String(value)}`);
      }
      const broken = info.check?.(value);
      if (broken) throw new ConfigError(info.key, `expected ${broken}, got ${value}`);
    }
    out[info.key] = value as number | boolean;
  }
  return out as T;
}
