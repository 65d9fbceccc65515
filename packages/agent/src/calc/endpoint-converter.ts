/**
 * Turns the resources that carry addresses (WorkloadEndpoint, HostEndpoint, NetworkSet,
 * GlobalNetworkSet) into what the graph keeps of them: own labels, label parents (profiles),
 * member networks, named ports and, for this host's workloads, the dataplane's view of the
 * endpoint. Calico's update processors do this conversion (policy-semantics §1,
 * agent-dataplane §3). Inputs have passed the validation filter.
 * @module
 */
import { dscpValue, type Resource } from '@percale/api';
import type { EndpointID, LocalEndpoint, NATMapping } from '../messages.ts';
import { parseAddress, parseNetwork } from './net-text.ts';

/** A named port of an endpoint, as IP+port set members need it. */
export interface NamedPort {
  readonly name: string;
  readonly protocol: 'tcp' | 'udp' | 'sctp';
  readonly port: number;
}

/** A workload endpoint of this host, as the dataplane sees it before policy is resolved. */
export interface LocalEndpointData {
  readonly id: EndpointID;
  readonly endpoint: Omit<LocalEndpoint, 'tiers'>;
}

/** What the graph keeps of one addressed resource. */
export interface EndpointSpec {
  /** Labels of the resource itself, as stored (checked when read into a label set). */
  readonly ownLabels: unknown;
  /**
   * A WorkloadEndpoint's labels get Calico's adjustments (policy-semantics §1.1): user labels
   * under `pcns.`/`pcsa.` are dropped and the service account becomes a label.
   */
  readonly workloadLabels: boolean;
  readonly serviceAccount: string | undefined;
  /** Profiles whose `labelsToApply` fill in labels the resource lacks, earlier ones first. */
  readonly parents: readonly string[];
  /** Member networks in canonical text. */
  readonly nets: readonly string[];
  readonly ports: readonly NamedPort[] | undefined;
  /** Set only for WorkloadEndpoints on this host. */
  readonly local: LocalEndpointData | undefined;
}

const NAMESPACE_LABEL = 'projectcalico.org/namespace';
const NO_PARENTS: readonly string[] = Object.freeze([]);

type Spec = Record<string, unknown>;

function strings(value: unknown): readonly string[] {
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [];
}

function networks(texts: unknown): string[] {
  const out: string[] = [];
  for (const text of strings(texts)) {
    const net = parseNetwork(text);
    if (net !== undefined) out.push(net.text);
  }
  return out;
}

function portProtocol(protocol: unknown): NamedPort['protocol'] | undefined {
  switch (protocol) {
    case 'TCP': case 6: case '6': return 'tcp';
    case 'UDP': case 17: case '17': return 'udp';
    case 'SCTP': case 132: case '132': return 'sctp';
    default: return undefined;
  }
}

function namedPorts(value: unknown): readonly NamedPort[] | undefined {
  if (!Array.isArray(value)) return undefined;
  const out: NamedPort[] = [];
  for (const p of value as Spec[]) {
    const protocol = portProtocol(p?.protocol);
    // Unnamed ports (host-port mappings) have no part in policy.
    if (typeof p?.name === 'string' && p.name !== '' && protocol !== undefined && typeof p.port === 'number') {
      out.push({ name: p.name, protocol, port: p.port });
    }
  }
  return out.length > 0 ? out : undefined;
}

function nats(value: unknown): { v4: NATMapping[]; v6: NATMapping[] } {
  const v4: NATMapping[] = [];
  const v6: NATMapping[] = [];
  if (Array.isArray(value)) {
    for (const nat of value as Spec[]) {
      const internal = parseAddress(nat?.internalIP as string);
      const external = parseAddress(nat?.externalIP as string);
      if (internal === undefined || external === undefined) continue;
      (internal.version === 4 ? v4 : v6).push({ externalIP: external.text, internalIP: internal.text });
    }
  }
  return { v4, v6 };
}

function qos(value: unknown): Record<string, number> | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const out: Record<string, number> = {};
  for (const [key, v] of Object.entries(value)) {
    if (typeof v === 'number' && Number.isFinite(v)) out[key] = v;
    else if (key === 'dscp' && (typeof v === 'string' || typeof v === 'number')) {
      const n = dscpValue(v);
      if (n !== undefined) out[key] = n;
    }
  }
  return Object.keys(out).length > 0 ? out : undefined;
}

// Go's HardwareAddr.String(): lower-case octets joined by colons, whatever the input spelling.
function macText(text: string): string {
  const hex = text.replace(/[-:.]/g, '').toLowerCase();
  return hex.match(/../g)?.join(':') ?? text;
}

function localEndpoint(resource: Resource, spec: Spec, nets: readonly string[]): LocalEndpointData {
  const namespace = resource.metadata.namespace!;
  const ipv4Nets: string[] = [];
  const ipv6Nets: string[] = [];
  for (const net of nets) (net.includes(':') ? ipv6Nets : ipv4Nets).push(net);
  const { v4, v6 } = nats(spec.ipNATs);
  const qosControls = qos(spec.qosControls);
  const endpoint: Omit<LocalEndpoint, 'tiers'> = {
    interfaceName: spec.interfaceName as string,
    ...(typeof spec.mac === 'string' && spec.mac !== '' ? { mac: macText(spec.mac) } : {}),
    orchestrator: typeof spec.orchestrator === 'string' ? spec.orchestrator : '',
    // Felix's workload ID is "<namespace>/<workload>"; the status key escapes the slash.
    workload: `${namespace}/${typeof spec.workload === 'string' ? spec.workload : ''}`,
    endpoint: typeof spec.endpoint === 'string' ? spec.endpoint : '',
    ipv4Nets,
    ipv6Nets,
    ipv4NAT: v4,
    ipv6NAT: v6,
    profileIds: [...strings(spec.profiles)],
    allowSpoofedSourcePrefixes: networks(spec.allowSpoofedSourcePrefixes),
    ...(qosControls !== undefined ? { qosControls } : {}),
  };
  return { id: { namespace, name: resource.metadata.name! }, endpoint };
}

/**
 * Converts a valid WorkloadEndpoint. Undefined when it has no addresses: Calico ignores such
 * endpoints entirely (they neither receive policy nor join IP sets).
 */
export function convertWorkloadEndpoint(resource: Resource, hostname: string): EndpointSpec | undefined {
  const spec = resource.spec as Spec;
  const nets = networks(spec.ipNetworks);
  if (nets.length === 0) return undefined;
  const profiles = strings(spec.profiles);
  const sa = spec.serviceAccountName;
  return {
    ownLabels: resource.metadata.labels,
    workloadLabels: true,
    serviceAccount: typeof sa === 'string' && sa !== '' ? sa : undefined,
    parents: profiles.length > 0 ? profiles : NO_PARENTS,
    nets,
    ports: namedPorts(spec.ports),
    local: spec.node === hostname ? localEndpoint(resource, spec, nets) : undefined,
  };
}

/** Converts a valid HostEndpoint: its expected IPs are its members; it has no namespace. */
export function convertHostEndpoint(resource: Resource): EndpointSpec {
  const spec = (resource.spec ?? {}) as Spec;
  const profiles = strings(spec.profiles);
  return {
    ownLabels: resource.metadata.labels,
    workloadLabels: false,
    serviceAccount: undefined,
    parents: profiles.length > 0 ? profiles : NO_PARENTS,
    nets: networks(spec.expectedIPs),
    ports: namedPorts(spec.ports),
    local: undefined,
  };
}

/** Converts a valid NetworkSet: it gains its namespace label and inherits the `kns.<namespace>` profile. */
export function convertNetworkSet(resource: Resource): EndpointSpec {
  const namespace = resource.metadata.namespace!;
  return {
    ownLabels: { ...resource.metadata.labels, [NAMESPACE_LABEL]: namespace },
    workloadLabels: false,
    serviceAccount: undefined,
    parents: [`kns.${namespace}`],
    nets: networks((resource.spec as Spec | undefined)?.nets),
    ports: undefined,
    local: undefined,
  };
}

/** Converts a valid GlobalNetworkSet: labels and nets as stored, no namespace. */
export function convertGlobalNetworkSet(resource: Resource): EndpointSpec {
  return {
    ownLabels: resource.metadata.labels,
    workloadLabels: false,
    serviceAccount: undefined,
    parents: NO_PARENTS,
    nets: networks((resource.spec as Spec | undefined)?.nets),
    ports: undefined,
    local: undefined,
  };
}
