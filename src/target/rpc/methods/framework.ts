/**
 * Framework methods: version, method list, initialisation state
 * (`--wait-for-rpc`), and whole configurations (`save_config`, `load_config`).
 */
import { NVMEKIT_VERSION } from '../../../version.js';
import { CONFIG_SUBSYSTEMS, loadConfig, saveConfig } from '../config.js';
import { invalidParams } from '../rpc-errors.js';
import { method, type RpcMethod, type RpcMethodTable } from '../rpc-method.js';
import type { FrameworkState } from '../target-runtime.js';

const ANY_STATE: readonly FrameworkState[] = ['startup', 'runtime'];

/** `spdk_get_version`'s result for this build. */
export function versionJson(): Record<string, unknown> {
  const [core = '', suffix = ''] = NVMEKIT_VERSION.split(/(?=-)/);
  const [major, minor, patch] = core.split('.').map(Number);
  return { version: `nvmekit v${NVMEKIT_VERSION}`, fields: { major, minor, patch, suffix } };
}

/**
 * The framework methods. `table` is the table they are registered in (for
 * `rpc_get_methods` and `load_config`); `report` hears what a loaded
 * configuration had that this target skipped.
 */
export function frameworkMethods(table: () => RpcMethodTable, report: (msg: string) => void): RpcMethod[] {
  return [
    method({ name: 'spdk_get_version', params: [], states: ANY_STATE, handler: versionJson }),
    method<{ current: boolean }>({
      name: 'rpc_get_methods',
      params: [
        { name: 'current', type: 'boolean', default: false },
        { name: 'include_aliases', type: 'boolean', ignored: true },
      ],
      states: ANY_STATE,
      handler: (p) => table().names(p.current),
    }),
    method({
      name: 'framework_start_init',
      params: [],
      states: ['startup'],
      handler: async (_p, rt) => {
        await rt.startInit();
        return true;
      },
    }),
    method({
      name: 'framework_wait_init',
      params: [],
      states: ANY_STATE,
      handler: async (_p, rt) => {
        await rt.waitInit();
        return true;
      },
    }),
    method({
      name: 'framework_get_subsystems',
      params: [],
      states: ANY_STATE,
      handler: () => CONFIG_SUBSYSTEMS.map((s) => ({ subsystem: s.subsystem, depends_on: s.depends_on })),
    }),
    method<{ name: string }>({
      name: 'framework_get_config',
      params: [{ name: 'name', type: 'string', required: true }],
      states: ANY_STATE,
      handler: (p, rt) => {
        const sub = CONFIG_SUBSYSTEMS.find((s) => s.subsystem === p.name);
        if (!sub) throw invalidParams('name', `expected one of ${CONFIG_SUBSYSTEMS.map((s) => s.subsystem).join(', ')}, got '${p.name}'`);
        return sub.entries(rt);
      },
    }),
    method({ name: 'save_config', params: [], states: ANY_STATE, handler: (_p, rt) => saveConfig(rt) }),
    method<{ subsystems: unknown[] }>({
      name: 'load_config',
      params: [{ name: 'subsystems', type: 'array', required: true }],
      handler: async (p) => {
        await loadConfig(table(), p, report);
        return true;
      },
    }),
  ];
}
