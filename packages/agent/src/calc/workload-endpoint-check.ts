/**
 * Targeted validation of a WorkloadEndpoint: the checks Calico applies to the fields the
 * calculation graph reads (addresses, named ports, profiles, interface; labels when they are
 * read), without the cost of the full schema walk. `validateResource` takes ~30 µs per
 * endpoint, which alone would spend 3 s of a 100k-endpoint snapshot; this takes well under
 * 1 µs. Local endpoints, whose every field reaches the dataplane, get the full validation as
 * well (see the validation filter).
 * @module
 */
import type { Resource } from '@percale/api';
import { parseNetwork } from './net-text.ts';

const INTERFACE = /^[a-zA-Z0-9_.-]{1,15}$/;
const SUBDOMAIN = /^[a-z0-9](?:[-a-z0-9]*[a-z0-9])?(?:\.[a-z0-9](?:[-a-z0-9]*[a-z0-9])?)*$/;
const PORT_PROTOCOLS = new Set<unknown>(['TCP', 'UDP', 'SCTP', 6, 17, 132, '6', '17', '132']);

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function stringField(spec: Record<string, unknown>, field: string): string | undefined {
  const value = spec[field];
  return value === undefined || typeof value === 'string' ? undefined : `spec.${field} is not a string`;
}

/**
 * Why a WorkloadEndpoint cannot be used, or undefined. Checks: identity fields are strings;
 * `interfaceName` is a Linux interface name; `ipNetworks` are single addresses; named ports
 * have a name, a port protocol and a port 1–65535; profiles are subdomain names. Labels are
 * checked where they are read (`StringInterner.labelSet`), each distinct value once.
 */
export function workloadEndpointProblem(resource: Resource): string | undefined {
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
