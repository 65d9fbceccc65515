/**
 * Targeted validation of a WorkloadEndpoint: the checks Calico applies to the fields the
 * calculation graph reads (labels, addresses, named ports, profiles, interface), without the
 * cost of the full schema walk. `validateResource` takes ~30 µs per endpoint, which alone would
 * spend 3 s of a 100k-endpoint snapshot; this takes about 1 µs. Local endpoints, whose every
 * field reaches the dataplane, get the full validation as well (see the validation filter).
 * @module
 */
import type { Resource } from '@percale/api';
import { parseNetwork } from './net-text.ts';

// Kubernetes qualified names (`prefix/name`) and label values, with their length limits
// checked separately (the same rules as @percale/api's label validation).
const LABEL_NAME = /^(?:([a-z0-9](?:[-a-z0-9]*[a-z0-9])?(?:\.[a-z0-9](?:[-a-z0-9]*[a-z0-9])?)*)\/)?([A-Za-z0-9](?:[-A-Za-z0-9_.]*[A-Za-z0-9])?)$/;
const LABEL_VALUE = /^(?:[A-Za-z0-9](?:[-A-Za-z0-9_.]*[A-Za-z0-9])?)?$/;
const INTERFACE = /^[a-zA-Z0-9_.-]{1,15}$/;
const SUBDOMAIN = /^[a-z0-9](?:[-a-z0-9]*[a-z0-9])?(?:\.[a-z0-9](?:[-a-z0-9]*[a-z0-9])?)*$/;
const PORT_PROTOCOLS = new Set<unknown>(['TCP', 'UDP', 'SCTP', 6, 17, 132, '6', '17', '132']);

// Label strings repeat across thousands of endpoints (security-group keys, project IDs):
// remember the ones already checked. Bounded, since names come and go over an agent's life.
const CACHE_LIMIT = 100_000;
const validNames = new Set<string>();
const validValues = new Set<string>();

function remember(cache: Set<string>, s: string): void {
  if (cache.size >= CACHE_LIMIT) cache.clear();
  cache.add(s);
}

function validLabelName(key: string): boolean {
  if (validNames.has(key)) return true;
  const m = LABEL_NAME.exec(key);
  if (m === null || m[2]!.length > 63 || (m[1] !== undefined && m[1].length > 253)) return false;
  remember(validNames, key);
  return true;
}

function validLabelValue(value: string): boolean {
  if (validValues.has(value)) return true;
  if (value.length > 63 || !LABEL_VALUE.test(value)) return false;
  remember(validValues, value);
  return true;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Why a label map is invalid, or undefined when it is valid. */
export function labelsProblem(labels: unknown): string | undefined {
  if (labels === undefined) return undefined;
  if (!isPlainObject(labels)) return 'labels are not a map';
  for (const key in labels) {
    const value = labels[key];
    if (typeof value !== 'string') return `label ${JSON.stringify(key)} has a non-string value`;
    if (!validLabelName(key)) return `label name ${JSON.stringify(key)} is invalid`;
    if (!validLabelValue(value)) return `label ${JSON.stringify(key)} has an invalid value ${JSON.stringify(value)}`;
  }
  return undefined;
}

function stringField(spec: Record<string, unknown>, field: string): string | undefined {
  const value = spec[field];
  return value === undefined || typeof value === 'string' ? undefined : `spec.${field} is not a string`;
}

/**
 * Why a WorkloadEndpoint cannot be used, or undefined. Checks: metadata names; labels are a
 * map of valid names to valid values; identity fields are strings; `interfaceName` is a Linux
 * interface name; `ipNetworks` are single addresses; named ports have a name, a port protocol
 * and a port 1–65535; profiles are subdomain names.
 */
export function workloadEndpointProblem(resource: Resource): string | undefined {
  const meta = resource.metadata;
  const labelProblem = labelsProblem(meta.labels);
  if (labelProblem !== undefined) return labelProblem;
  const spec: unknown = resource.spec;
  if (!isPlainObject(spec)) return 'spec is not an object';
  for (const field of ['node', 'orchestrator', 'workload', 'endpoint', 'serviceAccountName', 'mac'] as const) {
    const problem = stringField(spec, field);
    if (problem !== undefined) return problem;
  }
  const iface = spec.interfaceName;
  if (typeof iface !== 'string' || (iface !== '*' && !INTERFACE.test(iface))) return 'spec.interfaceName is not an interface name';
  const nets = spec.ipNetworks;
  if (nets !== undefined) {
    if (!Array.isArray(nets)) return 'spec.ipNetworks is not a list';
    for (const text of nets) {
      const net = parseNetwork(text as string);
      if (net === undefined) return `spec.ipNetworks has an invalid network ${JSON.stringify(text)}`;
      if (net.prefix !== (net.version === 4 ? 32 : 128)) return `spec.ipNetworks ${JSON.stringify(text)} holds more than one address`;
    }
  }
  const ports = spec.ports;
  if (ports !== undefined) {
    if (!Array.isArray(ports)) return 'spec.ports is not a list';
    for (const p of ports) {
      if (!isPlainObject(p)) return 'spec.ports has an entry that is not an object';
      if (p.name !== undefined && typeof p.name !== 'string') return 'spec.ports has a name that is not a string';
      if (!PORT_PROTOCOLS.has(p.protocol)) return `spec.ports has protocol ${JSON.stringify(p.protocol)}, which has no ports`;
      if (typeof p.port !== 'number' || !Number.isInteger(p.port) || p.port < 1 || p.port > 65535) return `spec.ports has an invalid port ${JSON.stringify(p.port)}`;
    }
  }
  const profiles = spec.profiles;
  if (profiles !== undefined) {
    if (!Array.isArray(profiles)) return 'spec.profiles is not a list';
    for (const p of profiles) if (typeof p !== 'string' || !SUBDOMAIN.test(p)) return `spec.profiles has an invalid name ${JSON.stringify(p)}`;
  }
  return undefined;
}
