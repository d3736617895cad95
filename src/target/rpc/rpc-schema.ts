/**
 * Parameter schemas: one table per method says each parameter's SPDK name,
 * type, whether it is required, its default and its limits. Decoding checks a
 * request's `params` against the table and hands the handler a plain object,
 * so handlers never look at raw JSON and the object model never sees it.
 */
import { invalidParams } from './rpc-errors.js';

export type ParamType = 'string' | 'integer' | 'boolean' | 'object' | 'array';

export interface ParamSpec {
  /** The SPDK parameter name (snake_case). */
  readonly name: string;
  readonly type: ParamType;
  readonly required?: boolean;
  /** Filled in when the parameter is absent. */
  readonly default?: string | number | boolean;
  /** Inclusive bounds for integers. */
  readonly min?: number;
  readonly max?: number;
  /** Allowed strings, compared without case; the decoded value is the table's spelling. */
  readonly values?: readonly string[];
  /** Further rule; returns what is expected when `value` breaks it. */
  readonly check?: (value: never) => string | null;
  /** Members of an object parameter. */
  readonly fields?: MethodSchema;
  /**
   * SPDK has the parameter but this target has no such knob: it is checked for
   * type and accepted (so SPDK configs load) but not passed on.
   */
  readonly ignored?: boolean;
}

export type MethodSchema = readonly ParamSpec[];

function typeOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  if (typeof value === 'number' && Number.isInteger(value)) return 'integer';
  return typeof value;
}

function show(value: unknown): string {
  const text = JSON.stringify(value);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

function decodeValue(spec: ParamSpec, value: unknown, path: string): unknown {
  const got = typeOf(value);
  if (got !== spec.type) throw invalidParams(path, `expected ${spec.type === 'integer' ? 'an integer' : `a ${spec.type}`}, got ${show(value)}`);
  if (spec.type === 'integer') {
    const n = value as number;
    if ((spec.min !== undefined && n < spec.min) || (spec.max !== undefined && n > spec.max)) {
      throw invalidParams(path, `expected an integer from ${spec.min ?? '-inf'} to ${spec.max ?? 'inf'}, got ${n}`);
    }
  }
  let decoded = value;
  if (spec.values) {
    const match = spec.values.find((v) => v.toLowerCase() === (value as string).toLowerCase());
    if (match === undefined) throw invalidParams(path, `expected one of ${spec.values.join(', ')}, got ${show(value)}`);
    decoded = match;
  }
  if (spec.fields) decoded = decodeObject(spec.fields, value, `${path}.`);
  const broken = spec.check?.(decoded as never);
  if (broken) throw invalidParams(path, `expected ${broken}, got ${show(value)}`);
  return decoded;
}

function decodeObject(schema: MethodSchema, params: unknown, prefix: string): Record<string, unknown> {
  const given = (params ?? {}) as Record<string, unknown>;
  if (typeOf(given) !== 'object') throw invalidParams(prefix ? prefix.slice(0, -1) : 'params', `expected an object, got ${show(params)}`);
  const known = new Set(schema.map((s) => s.name));
  for (const key of Object.keys(given)) {
    if (!known.has(key)) throw invalidParams(`${prefix}${key}`, 'unknown parameter');
  }
  const out: Record<string, unknown> = {};
  for (const spec of schema) {
    const value = given[spec.name];
    const path = `${prefix}${spec.name}`;
    if (value === undefined) {
      if (spec.required) throw invalidParams(path, 'missing required parameter');
      if (spec.default !== undefined && !spec.ignored) out[spec.name] = spec.default;
      continue;
    }
    const decoded = decodeValue(spec, value, path);
    if (!spec.ignored) out[spec.name] = decoded;
  }
  return out;
}

/**
 * Checks `params` against `schema` and fills defaults.
 * @throws RpcError -32602 naming the first bad parameter (`namespace.nsid`)
 */
export function decodeParams<T>(schema: MethodSchema, params: unknown): T {
  return decodeObject(schema, params, '') as T;
}
