/** The target's control plane: SPDK-compatible JSON-RPC over a Unix socket, saved configurations, the client. */
export { RpcService, type RpcServiceOptions } from './rpc-service.js';
export { JsonRpcServer, DEFAULT_RPC_SOCKET, type JsonRpcServerOptions, type RpcDispatch } from './json-rpc-server.js';
export { JsonRpcClient } from './json-rpc-client.js';
export { RpcError, RpcErrorCode, RpcErrno, invalidParams, toRpcError } from './rpc-errors.js';
export { decodeParams, type MethodSchema, type ParamSpec, type ParamType } from './rpc-schema.js';
export { RpcMethodTable, method, type RpcMethod } from './rpc-method.js';
export { TargetRuntime, type FrameworkState, type TargetRuntimeOptions } from './target-runtime.js';
export { saveConfig, loadConfig, CONFIG_SUBSYSTEMS, type ConfigEntry, type SavedConfig, type SubsystemConfig } from './config.js';
