/**
 * A JSON-RPC method: its name, parameter schema, the framework states it may
 * be called in, and its handler. `RpcMethodTable` dispatches by name,
 * decoding parameters and checking the state before the handler runs.
 */
import { RpcError, RpcErrorCode } from './rpc-errors.js';
import { decodeParams, type MethodSchema } from './rpc-schema.js';
import type { FrameworkState, TargetRuntime } from './target-runtime.js';

export interface RpcMethod<P = Record<string, unknown>> {
  readonly name: string;
  readonly params: MethodSchema;
  /** States the method may run in; default runtime only, as most SPDK methods. */
  readonly states?: readonly FrameworkState[];
  /** Short, on the data plane's event loop; throws RpcError or ConfigError for the caller's mistakes. */
  readonly handler: (params: P, rt: TargetRuntime) => unknown;
}

/** Keeps the handler's parameter type while the table holds methods of every type. */
export function method<P>(m: RpcMethod<P>): RpcMethod {
  return m as unknown as RpcMethod;
}

const RUNTIME_ONLY: readonly FrameworkState[] = ['runtime'];

export class RpcMethodTable {
  private readonly methods = new Map<string, RpcMethod>();

  constructor(
    private readonly rt: TargetRuntime,
    methods: Iterable<RpcMethod>,
  ) {
    for (const m of methods) this.methods.set(m.name, m);
  }

  /** Method names, in registration order; with `current`, only those callable in the present state. */
  names(current: boolean): string[] {
    return [...this.methods.values()].filter((m) => !current || this.allowedNow(m)).map((m) => m.name);
  }

  has(name: string): boolean {
    return this.methods.has(name);
  }

  /** Decodes `params` and runs the method. @throws RpcError */
  call(name: string, params: unknown): unknown {
    const m = this.methods.get(name);
    if (!m) throw new RpcError(RpcErrorCode.METHOD_NOT_FOUND, `Method not found: ${name}`);
    if (!this.allowedNow(m)) {
      throw new RpcError(
        RpcErrorCode.INVALID_STATE,
        this.rt.state === 'startup'
          ? `Method ${name} may only be called after the framework is initialized using the framework_start_init RPC`
          : `Method ${name} may only be called before the framework is initialized (--wait-for-rpc)`,
      );
    }
    return m.handler(decodeParams(m.params, params), this.rt);
  }

  private allowedNow(m: RpcMethod): boolean {
    return (m.states ?? RUNTIME_ONLY).includes(this.rt.state);
  }
}
