/**
 * The controller's own view of the region's WorkloadEndpoints, by Neutron port: which endpoint
 * names (hosts) each port has, its network and its security groups. A port event needs the
 * old host (the payload only carries the new state) and a network or security-group rename
 * needs the ports that carry its name as a label. Fed by a watch on the namespace and by the
 * dynamic sync's own writes, so it is current even before the watch echoes them.
 * @module
 */
import type { Resource } from '@percale/api';
import { NETWORK_ID_ANNOTATION, SG_LABEL_PREFIX } from './desired.ts';

interface Slot {
  portId: string;
  host: string;
  networkId: string | undefined;
  sgIds: string[];
}

/** Endpoint names, hosts, networks and security groups by port id. */
export class EndpointIndex {
  readonly #byName = new Map<string, Slot>();
  readonly #byPort = new Map<string, Set<string>>();

  /** Replaces the whole view (after a snapshot). */
  reset(resources: Iterable<Resource>): void {
    this.#byName.clear();
    this.#byPort.clear();
    for (const r of resources) this.put(r);
  }

  /** Records one endpoint as stored. */
  put(resource: Resource): void {
    const name = resource.metadata.name;
    const spec = resource.spec as { endpoint?: unknown; node?: unknown } | undefined;
    if (!name || typeof spec?.endpoint !== 'string') return;
    this.remove(name);
    const labels = resource.metadata.labels ?? {};
    const slot: Slot = {
      portId: spec.endpoint,
      host: typeof spec.node === 'string' ? spec.node : '',
      networkId: resource.metadata.annotations?.[NETWORK_ID_ANNOTATION],
      sgIds: Object.keys(labels)
        .filter((k) => k.startsWith(SG_LABEL_PREFIX))
        .map((k) => k.slice(SG_LABEL_PREFIX.length)),
    };
    this.#byName.set(name, slot);
    let names = this.#byPort.get(slot.portId);
    if (!names) this.#byPort.set(slot.portId, (names = new Set()));
    names.add(name);
  }

  /** Forgets one endpoint. */
  remove(name: string): void {
    const slot = this.#byName.get(name);
    if (!slot) return;
    this.#byName.delete(name);
    const names = this.#byPort.get(slot.portId);
    names?.delete(name);
    if (names?.size === 0) this.#byPort.delete(slot.portId);
  }

  /** The port's endpoints as name → host. */
  slotsOf(portId: string): Map<string, string> {
    const out = new Map<string, string>();
    for (const name of this.#byPort.get(portId) ?? []) out.set(name, this.#byName.get(name)!.host);
    return out;
  }

  /** Ports with an endpoint whose network-id annotation is `networkId`. */
  portsOfNetwork(networkId: string): string[] {
    const ports = new Set<string>();
    for (const slot of this.#byName.values()) if (slot.networkId === networkId) ports.add(slot.portId);
    return [...ports];
  }

  /** Ports with an endpoint labelled with security group `sgId`. */
  portsOfSecurityGroup(sgId: string): string[] {
    const ports = new Set<string>();
    for (const slot of this.#byName.values()) if (slot.sgIds.includes(sgId)) ports.add(slot.portId);
    return [...ports];
  }

  get size(): number {
    return this.#byName.size;
  }
}
