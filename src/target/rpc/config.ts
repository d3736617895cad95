/**
 * Saved configurations in SPDK's `save_config` format: a list of framework
 * subsystems, each a list of method calls that rebuild its state. Saving
 * writes the `bdev` and `nvmf` subsystems; loading replays calls through the
 * same method table (and so the same parameter decoding) the socket uses, and
 * reports once each part it cannot apply instead of failing on it.
 */
import { RpcError, toRpcError } from './rpc-errors.js';
import type { RpcMethodTable } from './rpc-method.js';
import { bdevConfigEntries } from './methods/bdev.js';
import { nvmfConfigEntries } from './methods/nvmf-config.js';
import type { TargetRuntime } from './target-runtime.js';

/** One replayable call. */
export interface ConfigEntry {
  method: string;
  params?: Record<string, unknown>;
}

export interface SubsystemConfig {
  subsystem: string;
  config: ConfigEntry[];
}

export interface SavedConfig {
  subsystems: SubsystemConfig[];
}

/** Framework subsystems this target has, in dependency order, with what `framework_get_subsystems` reports. */
export const CONFIG_SUBSYSTEMS: readonly { subsystem: string; depends_on: string[]; entries: (rt: TargetRuntime) => ConfigEntry[] }[] = [
  { subsystem: 'bdev', depends_on: [], entries: bdevConfigEntries },
  { subsystem: 'nvmf', depends_on: ['bdev'], entries: nvmfConfigEntries },
];

/** SPDK calls that change nothing here when replayed: skipped without a report. */
const NO_OP_METHODS = new Set(['bdev_wait_for_examine']);

/** The whole configuration (`save_config`). */
export function saveConfig(rt: TargetRuntime): SavedConfig {
  return { subsystems: CONFIG_SUBSYSTEMS.map((s) => ({ subsystem: s.subsystem, config: s.entries(rt) })) };
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * Replays `config` (SPDK's format) through `table`. Subsystems and methods
 * this target lacks are reported to `report` once each and skipped.
 * @returns how many calls were applied
 * @throws RpcError for a malformed file, or the first call that fails (naming it)
 */
export async function loadConfig(table: RpcMethodTable, config: unknown, report: (msg: string) => void): Promise<number> {
  if (!isObject(config) || !Array.isArray(config.subsystems)) throw new RpcError(-32602, 'Invalid parameters: subsystems: expected an array of { subsystem, config }');
  const known = new Set(CONFIG_SUBSYSTEMS.map((s) => s.subsystem));
  const reported = new Set<string>();
  const once = (key: string, msg: string): void => {
    if (reported.has(key)) return;
    reported.add(key);
    report(msg);
  };
  let applied = 0;
  for (const [i, sub] of config.subsystems.entries()) {
    const where = `subsystems[${i}]`;
    if (!isObject(sub) || typeof sub.subsystem !== 'string' || !(sub.config === null || Array.isArray(sub.config))) {
      throw new RpcError(-32602, `Invalid parameters: ${where}: expected { subsystem: string, config: array }`);
    }
    const entries = (sub.config ?? []) as unknown[];
    if (!known.has(sub.subsystem)) {
      if (entries.length > 0) once(sub.subsystem, `skipped subsystem ${sub.subsystem} (${entries.length} call${entries.length === 1 ? '' : 's'}): not supported by this target`);
      continue;
    }
    for (const [j, entry] of entries.entries()) {
      const at = `${where} (${sub.subsystem}) config[${j}]`;
      if (!isObject(entry) || typeof entry.method !== 'string') throw new RpcError(-32602, `Invalid parameters: ${at}: expected { method, params }`);
      if (NO_OP_METHODS.has(entry.method)) continue;
      if (!table.has(entry.method)) {
        once(entry.method, `skipped ${entry.method} in subsystem ${sub.subsystem}: not supported by this target`);
        continue;
      }
      try {
        await table.call(entry.method, entry.params);
      } catch (err) {
        const e = toRpcError(err);
        throw new RpcError(e.code, `${at} ${entry.method}: ${e.message}`);
      }
      applied++;
    }
  }
  return applied;
}
