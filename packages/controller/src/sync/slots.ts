/**
 * Which hosts a port has a WorkloadEndpoint on (spec §4.8, §10.3): its binding host, and
 * during a live migration also the destination in `binding:profile.migrating_to`.
 * @module
 */
import type { NeutronPort } from '../neutron/types.ts';

/** The live-migration destination host, when the port is migrating. */
export function migratingTo(port: NeutronPort): string | undefined {
  const dest = port['binding:profile']?.migrating_to;
  return typeof dest === 'string' && dest !== '' ? dest : undefined;
}

/**
 * Whether `port` should have an endpoint on `host`: bound there (and not transiently
 * `unbound`, unless a migration keeps the source), or migrating there.
 */
export function wantsSlot(port: NeutronPort, host: string): boolean {
  if (host === '') return false;
  const dest = migratingTo(port);
  if (dest === host) return true;
  return port['binding:host_id'] === host && (port['binding:vif_type'] !== 'unbound' || dest !== undefined);
}

/** The hosts `port` should have endpoints on (at most two, binding host first). */
export function portSlots(port: NeutronPort): string[] {
  const hosts: string[] = [];
  for (const host of [port['binding:host_id'], migratingTo(port)]) {
    if (host && !hosts.includes(host) && wantsSlot(port, host)) hosts.push(host);
  }
  return hosts;
}
