/**
 * Who the host says it is in Fabrics Connect: the host NQN and the 16-byte
 * host identifier. Defaults follow nvme-cli (`/etc/nvme/hostnqn`,
 * `/etc/nvme/hostid`) and fall back to one UUID per process, as SPDK does.
 */
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';

const UUID_NQN_PREFIX = 'nqn.2014-08.org.nvmexpress:uuid:';
const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

let processUuid: string | undefined;
let cached: { hostnqn: string; hostid: string } | undefined;

/** The host NQN and host ID this process uses when none are given. */
export function defaultHostIdentity(): { hostnqn: string; hostid: string } {
  if (cached) return cached;
  const hostnqn = readFirstLine('/etc/nvme/hostnqn') ?? `${UUID_NQN_PREFIX}${perProcessUuid()}`;
  const fileId = readFirstLine('/etc/nvme/hostid');
  const hostid = fileId !== undefined && UUID_RE.test(fileId) ? fileId.toLowerCase() : hostIdFor(hostnqn);
  cached = { hostnqn, hostid };
  return cached;
}

/** The host ID that goes with `hostnqn`: its UUID for a UUID-based NQN, else this process's UUID. */
export function hostIdFor(hostnqn: string): string {
  const tail = hostnqn.startsWith(UUID_NQN_PREFIX) ? hostnqn.slice(UUID_NQN_PREFIX.length) : '';
  return UUID_RE.test(tail) ? tail.toLowerCase() : perProcessUuid();
}

function perProcessUuid(): string {
  processUuid ??= randomUUID();
  return processUuid;
}

function readFirstLine(path: string): string | undefined {
  try {
    const line = readFileSync(path, 'utf8').split('\n')[0]?.trim();
    return line ? line : undefined;
  } catch {
    return undefined;
  }
}
