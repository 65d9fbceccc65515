/**
 * Builders for the datastore resources calculation graph tests use, shaped as networking-calico
 * writes them for OpenStack (agent-dataplane §3): ports as WorkloadEndpoints with security-group
 * labels, security groups as `ossg.default.<id>` NetworkPolicies.
 * @module
 */
import { parseSelector, type Resource } from '@percale/api';
import type { WatchEvent } from '@percale/datastore';

export const REGION_ONE = 'openstack-region-one';
export const REGION_TWO = 'openstack-region-two';
export const HOST = 'compute-1';

const API = 'projectcalico.org/v3';

/** The label networking-calico puts on a port for each of its security groups. */
export function sgLabel(sg: string): string {
  return `sg.projectcalico.org/openstack-${sg}`;
}

/** `has(<security-group label>)`. */
export function hasSG(sg: string): string {
  return `has(${sgLabel(sg)})`;
}

/** Calico's IP set ID for a selector. */
export function setId(selector: string): string {
  return parseSelector(selector).uniqueId();
}

/** The rule selector a namespaced policy in `ns` gets for `selector`. */
export function inNamespace(ns: string, selector: string): string {
  return `(projectcalico.org/namespace == '${ns}') && (${selector})`;
}

export interface PortOptions {
  host?: string;
  ns?: string;
  ips: string[];
  sgs?: string[];
  labels?: Record<string, string>;
  profiles?: string[];
  ports?: { name: string; protocol: string; port: number }[];
  spec?: Record<string, unknown>;
}

/** A Neutron port `id` as networking-calico writes it (name as Calico builds WEP names). */
export function port(id: string, o: PortOptions): Resource {
  const host = o.host ?? HOST;
  const ns = o.ns ?? REGION_ONE;
  const dashes = (s: string) => s.replaceAll('-', '--');
  const labels: Record<string, string> = {
    'projectcalico.org/namespace': ns,
    'projectcalico.org/orchestrator': 'openstack',
    ...Object.fromEntries((o.sgs ?? []).map((sg) => [sgLabel(sg), sg])),
    ...o.labels,
  };
  return {
    apiVersion: API,
    kind: 'WorkloadEndpoint',
    metadata: { name: `${dashes(host)}-openstack-${dashes(`vm-${id}`)}-${dashes(id)}`, namespace: ns, labels },
    spec: {
      orchestrator: 'openstack', workload: `vm-${id}`, node: host, endpoint: id,
      interfaceName: `tap${id}`.slice(0, 14), mac: 'fa:16:3e:00:00:01', ipNetworks: o.ips,
      ...(o.profiles ? { profiles: o.profiles } : {}),
      ...(o.ports ? { ports: o.ports } : {}),
      ...o.spec,
    },
  };
}

/** A NetworkPolicy. */
export function networkPolicy(ns: string, name: string, spec: Record<string, unknown>): Resource {
  return { apiVersion: API, kind: 'NetworkPolicy', metadata: { name, namespace: ns }, spec };
}

/** networking-calico's policy for security group `sg` (no order, no types). */
export function sgPolicy(ns: string, sg: string, rules: { ingress?: unknown[]; egress?: unknown[] }): Resource {
  return networkPolicy(ns, `ossg.default.${sg}`, { selector: hasSG(sg), ingress: rules.ingress ?? [], egress: rules.egress ?? [] });
}

/** A GlobalNetworkPolicy. */
export function globalPolicy(name: string, spec: Record<string, unknown>): Resource {
  return { apiVersion: API, kind: 'GlobalNetworkPolicy', metadata: { name }, spec };
}

/** Any cluster-scoped resource. */
export function clusterResource(kind: string, name: string, spec: Record<string, unknown>, labels?: Record<string, string>): Resource {
  return { apiVersion: API, kind, metadata: { name, ...(labels ? { labels } : {}) }, spec };
}

/** Any namespaced resource. */
export function namespacedResource(kind: string, ns: string, name: string, spec: Record<string, unknown>, labels?: Record<string, string>): Resource {
  return { apiVersion: API, kind, metadata: { name, namespace: ns, ...(labels ? { labels } : {}) }, spec };
}

/** The event that stores `resource` (first time, or again). */
export function put(resource: Resource, modified = false): WatchEvent {
  return modified ? { type: 'MODIFIED', resource, revision: '1' } : { type: 'ADDED', resource, revision: '1' };
}

/** The event that deletes `resource`. */
export function del(resource: Resource): WatchEvent {
  const { namespace, name } = resource.metadata;
  return { type: 'DELETED', previous: resource, key: { kind: resource.kind, ...(namespace ? { namespace } : {}), name: name! }, revision: '1' };
}
