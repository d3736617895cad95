/**
 * Finding the active namespaces and identifying each one: the IDENTIFY_ACTIVE_NS,
 * IDENTIFY_NS and IDENTIFY_ID_DESCS steps of controller initialization, reused
 * when a Namespace Attribute Changed event says the set changed.
 */
import { Cns } from '../spec/identify.js';
import type { IdentifyController } from '../spec/identify-controller.js';
import { parseIdentifyNamespace, type IdentifyNamespace } from '../spec/identify-namespace.js';
import { NSID_LIST_MAX, parseNamespaceIds, parseNsidList, type NamespaceIds } from '../spec/namespace-lists.js';
import type { Vs } from '../spec/registers.js';
import { NvmeStatusError } from '../spec/status.js';
import type { AdminCommands } from './admin-commands.js';
import { Namespace } from './namespace.js';

/** True when the controller's version is at least `mjr.mnr`. */
function versionAtLeast(vs: Vs, mjr: number, mnr: number): boolean {
  return vs.mjr > mjr || (vs.mjr === mjr && vs.mnr >= mnr);
}

/**
 * Active NSIDs in increasing order: Identify CNS 02h page by page (NVMe 1.1 and
 * later), else every NSID from 1 to NN as SPDK does for older controllers.
 */
export async function listActiveNamespaces(admin: AdminCommands, vs: Vs, nn: number): Promise<number[]> {
  if (!versionAtLeast(vs, 1, 1)) return Array.from({ length: nn }, (_, i) => i + 1);
  const nsids: number[] = [];
  for (let after = 0; ; ) {
    const page = parseNsidList(await admin.identify(Cns.ACTIVE_NAMESPACE_LIST, after));
    nsids.push(...page);
    if (page.length < NSID_LIST_MAX) return nsids;
    after = page[page.length - 1]!;
  }
}

/** Identify Namespace, or null when the namespace is not active (NSZE 0). */
export async function identifyNamespaceData(admin: AdminCommands, nsid: number): Promise<IdentifyNamespace | null> {
  const data = parseIdentifyNamespace(await admin.identify(Cns.NAMESPACE, nsid));
  return data.nsze === 0n ? null : data;
}

/**
 * The namespace's identifiers: the NS Identification Descriptor list (NVMe 1.3
 * and later), falling back to the EUI64 / NGUID of Identify Namespace when the
 * controller rejects CNS 03h or reports nothing.
 */
export async function identifyNamespaceIds(
  admin: AdminCommands,
  nsid: number,
  vs: Vs,
  data: IdentifyNamespace,
): Promise<NamespaceIds> {
  if (versionAtLeast(vs, 1, 3)) {
    try {
      const ids = parseNamespaceIds(await admin.identify(Cns.NAMESPACE_ID_DESCRIPTOR_LIST, nsid));
      if (Object.keys(ids).length > 0) return ids;
    } catch (err) {
      if (!(err instanceof NvmeStatusError)) throw err;
    }
  }
  const ids: NamespaceIds = {};
  if (/[^0]/.test(data.eui64)) ids.eui64 = data.eui64;
  if (/[^0]/.test(data.nguid)) ids.nguid = data.nguid;
  return ids;
}

/** Every active namespace, identified, in NSID order. */
export async function scanNamespaces(admin: AdminCommands, ctrlr: IdentifyController, vs: Vs): Promise<Namespace[]> {
  const out: Namespace[] = [];
  for (const nsid of await listActiveNamespaces(admin, vs, ctrlr.nn)) {
    const data = await identifyNamespaceData(admin, nsid);
    if (data) out.push(new Namespace(nsid, data, ctrlr, await identifyNamespaceIds(admin, nsid, vs, data)));
  }
  return out;
}
