/**
 * The `nvmf` part of `save_config`: the calls that rebuild the transport,
 * the discovery subsystem's listeners and every NVM subsystem with its hosts,
 * namespaces and listeners, in the order SPDK writes them.
 */
import { MAX_CNTLID, MIN_CNTLID, type Subsystem } from '../../subsystem.js';
import type { ConfigEntry } from '../config.js';
import type { TargetRuntime } from '../target-runtime.js';
import { addressJson, transportJson, transportsOf } from './nvmf.js';

function listenerEntries(s: Subsystem): ConfigEntry[] {
  return s.listeners.map((l) => ({ method: 'nvmf_subsystem_add_listener', params: { nqn: s.nqn, listen_address: addressJson(l) } }));
}

function subsystemEntries(s: Subsystem): ConfigEntry[] {
  return [
    {
      method: 'nvmf_create_subsystem',
      params: {
        nqn: s.nqn,
        allow_any_host: s.allowAnyHost,
        serial_number: s.serialNumber,
        model_number: s.modelNumber,
        max_namespaces: s.maxNamespaces,
        min_cntlid: MIN_CNTLID,
        max_cntlid: MAX_CNTLID,
      },
    },
    ...[...s.hosts].map((host) => ({ method: 'nvmf_subsystem_add_host', params: { nqn: s.nqn, host } })),
    ...[...s.namespaces.values()].map((ns) => ({
      method: 'nvmf_subsystem_add_ns',
      params: {
        nqn: s.nqn,
        namespace: {
          nsid: ns.nsid,
          bdev_name: ns.bdev.name,
          nguid: ns.nguid.toUpperCase(),
          uuid: ns.uuid,
          ...(/^0+$/.test(ns.eui64) ? {} : { eui64: ns.eui64.toUpperCase() }),
        },
      },
    })),
    ...listenerEntries(s),
  ];
}

export function nvmfConfigEntries(rt: TargetRuntime): ConfigEntry[] {
  const out: ConfigEntry[] = [];
  for (const [trtype, opts] of transportsOf(rt)) out.push({ method: 'nvmf_create_transport', params: transportJson(rt, trtype, opts) });
  out.push(...listenerEntries(rt.target.discoverySubsystem));
  for (const s of rt.target.subsystems.values()) if (s.subtype === 'nvme') out.push(...subsystemEntries(s));
  return out;
}
