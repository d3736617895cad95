/**
 * NVMe Qualified Name checks (NVMe base spec "NVMe Qualified Names"), with the
 * rules SPDK's `nvmf_valid_nqn` applies: at most 223 bytes; either
 * `nqn.2014-08.org.nvmexpress:uuid:<UUID>` or `nqn.yyyy-mm.<reverse domain>:<name>`.
 */
import { ConfigError } from '../spec/errors.js';
import { DISCOVERY_NQN, NQN_MAX_LENGTH } from '../spec/fabrics.js';

const UUID_NQN_PREFIX = 'nqn.2014-08.org.nvmexpress:uuid:';
const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const DATE_RE = /^nqn\.(\d{4})-(\d{2})\./;
/** A domain label: starts with a letter, ends with a letter or digit, at most 63 characters. */
const LABEL_RE = /^[A-Za-z](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/;

/** Why `nqn` is not a valid NQN, or null when it is. */
export function nqnProblem(nqn: string): string | null {
  const bytes = Buffer.byteLength(nqn, 'utf8');
  if (bytes > NQN_MAX_LENGTH) return `an NQN is at most ${NQN_MAX_LENGTH} bytes, got ${bytes}`;
  if (nqn === DISCOVERY_NQN) return null;
  if (nqn.startsWith(UUID_NQN_PREFIX)) {
    const uuid = nqn.slice(UUID_NQN_PREFIX.length);
    return UUID_RE.test(uuid) ? null : `expected a UUID after '${UUID_NQN_PREFIX}', got '${uuid}'`;
  }
  const date = DATE_RE.exec(nqn);
  if (!date) return `expected 'nqn.yyyy-mm.reverse.domain:name' or '${UUID_NQN_PREFIX}<uuid>', got '${nqn}'`;
  const month = Number(date[2]);
  if (month < 1 || month > 12) return `month ${date[2]} in '${nqn}' is not 01..12`;
  const rest = nqn.slice(date[0].length);
  const colon = rest.indexOf(':');
  if (colon < 0 || colon === rest.length - 1) return `expected ':name' after the reverse domain in '${nqn}'`;
  const labels = rest.slice(0, colon).split('.');
  const bad = labels.find((label) => !LABEL_RE.test(label));
  if (bad !== undefined) return `reverse domain label '${bad}' in '${nqn}' must start with a letter, end with a letter or digit and hold only letters, digits and '-'`;
  return null;
}

/**
 * @param key the option or parameter the NQN came from, for the error
 * @throws ConfigError when `nqn` is not a valid NQN
 */
export function validateNqn(nqn: string, key = 'nqn'): void {
  const problem = nqnProblem(nqn);
  if (problem) throw new ConfigError(key, problem);
}
