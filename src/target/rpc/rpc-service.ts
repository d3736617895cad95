/**
 * The target's control plane in one object: the runtime the methods act on,
 * the method table, and the JSON-RPC socket server in front of it.
 *
 *     const rpc = new RpcService({ target: new NvmfTarget(), bdevs: new BdevRegistry() });
 *     await rpc.listen('/var/tmp/nvmekit.sock');
 *     ...
 *     await rpc.close();
 */
import { loadConfig } from './config.js';
import { JsonRpcServer } from './json-rpc-server.js';
import { BDEV_METHODS } from './methods/bdev.js';
import { frameworkMethods } from './methods/framework.js';
import { NVMF_METHODS } from './methods/nvmf.js';
import { RpcMethodTable } from './rpc-method.js';
import { TargetRuntime, type TargetRuntimeOptions } from './target-runtime.js';

export interface RpcServiceOptions extends TargetRuntimeOptions {
  /** Hears what a loaded configuration had that this target skipped, once each; default: warnings to `log`. */
  report?: (msg: string) => void;
}

export class RpcService {
  readonly runtime: TargetRuntime;
  readonly methods: RpcMethodTable;
  readonly server: JsonRpcServer;
  private readonly report: (msg: string) => void;

  constructor(opts: RpcServiceOptions) {
    this.runtime = new TargetRuntime(opts);
    this.report = opts.report ?? ((msg) => this.runtime.log('warn', msg));
    this.methods = new RpcMethodTable(this.runtime, [...frameworkMethods(() => this.methods, this.report), ...NVMF_METHODS, ...BDEV_METHODS]);
    this.server = new JsonRpcServer((name, params) => this.methods.call(name, params), { log: this.runtime.log });
  }

  /** Serves JSON-RPC on the Unix socket `path` (mode 0600). @throws ConfigError when the path is taken */
  listen(path: string): Promise<void> {
    return this.server.listen(path);
  }

  /**
   * Applies a configuration in SPDK's `save_config` format; parts this target
   * lacks are reported once each. @returns the calls applied
   */
  loadConfig(config: unknown): Promise<number> {
    return loadConfig(this.methods, config, this.report);
  }

  /** Closes the socket, every listen port and connection, and every association. */
  async close(): Promise<void> {
    await this.server.close();
    await this.runtime.close();
  }
}
