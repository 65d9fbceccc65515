/**
 * Port → WorkloadEndpoint (spec §4.4–4.7, §10.2, §10.6): the resource the controller writes
 * for a VM port at one host, with networking-calico's labels, annotations and spec members in
 * its order. Pure: the caller gathers the port's subnets, network, security groups, floating
 * IPs, project and QoS policy first.
 * @module
 */
import { canonicalCIDR, type Resource } from '@percale/api';
import type { QosConfig } from '../config/controller-config.ts';
import type {
  KeystoneProject, NeutronFloatingIp, NeutronNetwork, NeutronPort, NeutronQosPolicy, NeutronSecurityGroup, NeutronSubnet,
} from '../neutron/types.ts';
import {
  API_VERSION, FQDN_ANNOTATION, LABEL_VALUE_MAX_LENGTH, NAMESPACE_LABEL, NETWORK_ID_ANNOTATION, NETWORK_NAME_LABEL, ORCHESTRATOR,
  ORCHESTRATOR_LABEL, PROJECT_ID_LABEL, PROJECT_NAME_LABEL, PROJECT_PARENT_ID_LABEL, SG_LABEL_PREFIX, SG_NAME_LABEL_PREFIX,
  SG_NAME_MAX_LENGTH,
} from './constants.ts';
import { endpointName } from './endpoint-name.ts';
import { buildQosControls, type QosControls } from './qos-controls.ts';
import { sanitizeLabelValue } from './sanitize-label-value.ts';

/** What a port's WorkloadEndpoint depends on besides the port itself. */
export interface WorkloadEndpointContext {
  /** The region's namespace (`openstack` / `openstack-region-<r>`). */
  namespace: string;
  /** Subnets by id, for the gateways of the port's fixed IPs (a missing subnet gives no gateway). */
  subnets: ReadonlyMap<string, Pick<NeutronSubnet, 'gateway_ip'>>;
  /** The port's network; undefined when it could not be read (then there is no network-name label). */
  network?: Pick<NeutronNetwork, 'name'>;
  /** Security groups by id, for their names (a missing group gets an empty name label). */
  securityGroups: ReadonlyMap<string, Pick<NeutronSecurityGroup, 'name'>>;
  /** Floating IPs; those whose `port_id` is not this port are ignored. */
  floatingIps: readonly NeutronFloatingIp[];
  /** The port's Keystone project; undefined when unknown (noauth, or Keystone failed). */
  project?: Pick<KeystoneProject, 'name' | 'parent_id'>;
  /** The QoS policy that applies (see `qosPolicyIdForPort`); undefined when none. */
  qosPolicy?: Pick<NeutronQosPolicy, 'rules'>;
  qosConfig: QosConfig;
}

/** A WorkloadEndpoint spec as the controller writes it (networking-calico's members, in its order). */
export type OpenStackWorkloadEndpointSpec = {
  orchestrator: string;
  workload: string;
  node: string;
  endpoint: string;
  interfaceName: string;
  mac: string;
  ipv4Gateway?: string;
  ipv6Gateway?: string;
  ipNetworks: string[];
  /** networking-calico's own member (not in Calico's type): the allowed-address-pair networks, which the DHCP agent must not serve. */
  allowedIps: string[];
  ipNATs?: Array<{ internalIP: string; externalIP: string }>;
  qosControls?: QosControls;
};

/** The tap interface name of a port: `tap` + the first 11 characters of its id. */
export function interfaceNameForPort(portId: string): string {
  return `tap${portId.slice(0, 11)}`;
}

/**
 * The WorkloadEndpoint for `port` at `host` (its binding host, or a live-migration
 * destination): metadata `{name, namespace, annotations, labels}` and the spec. `uid` and
 * `creationTimestamp` are the writer's business (kept from the stored value).
 * @throws {ValidationError} (from @percale/api) when the port cannot be named at `host` (see `endpointName`).
 */
export function buildWorkloadEndpoint(port: NeutronPort, host: string, ctx: WorkloadEndpointContext): Resource<OpenStackWorkloadEndpointSpec> {
  return {
    kind: 'WorkloadEndpoint',
    apiVersion: API_VERSION,
    metadata: {
      name: endpointName(host, port),
      namespace: ctx.namespace,
      // networking-calico's member order (its writer puts creationTimestamp and uid after namespace).
      annotations: endpointAnnotations(port),
      labels: endpointLabels(port, ctx),
    },
    spec: endpointSpec(port, host, ctx),
  };
}

/** The labels of a port's endpoint (spec §4.5), in networking-calico's order. */
export function endpointLabels(port: NeutronPort, ctx: Pick<WorkloadEndpointContext, 'namespace' | 'securityGroups' | 'project' | 'network'>): Record<string, string> {
  const labels: Record<string, string> = {};
  for (const sgId of port.security_groups ?? []) {
    const group = ctx.securityGroups.get(sgId);
    const name = group ? sanitizeLabelValue(group.name ?? '', SG_NAME_MAX_LENGTH) : '';
    labels[SG_LABEL_PREFIX + sgId] = name;
    // Two groups with the same sanitised name: the later one owns the name label.
    if (name) labels[SG_NAME_LABEL_PREFIX + name] = sgId;
  }
  labels[NAMESPACE_LABEL] = ctx.namespace;
  labels[ORCHESTRATOR_LABEL] = ORCHESTRATOR;
  const projectId = 'project_id' in port ? port.project_id : port.tenant_id;
  if (projectId != null) labels[PROJECT_ID_LABEL] = projectId;
  if (ctx.project) {
    labels[PROJECT_NAME_LABEL] = sanitizeLabelValue(ctx.project.name ?? '', LABEL_VALUE_MAX_LENGTH);
    // networking-calico writes a missing parent as JSON null, which is not a label value;
    // Go readers see null as "", so "" is written instead.
    labels[PROJECT_PARENT_ID_LABEL] = ctx.project.parent_id ?? '';
  }
  if (ctx.network) labels[NETWORK_NAME_LABEL] = sanitizeLabelValue(ctx.network.name ?? '', LABEL_VALUE_MAX_LENGTH);
  return labels;
}

/** The annotations of a port's endpoint (spec §4.7): the network id, and the DNS name when Neutron assigned one. */
export function endpointAnnotations(port: Pick<NeutronPort, 'network_id' | 'dns_assignment'>): Record<string, string> {
  const annotations: Record<string, string> = { [NETWORK_ID_ANNOTATION]: port.network_id };
  // Neutron repeats the same FQDN for every fixed IP; the first entry is enough.
  const fqdn = port.dns_assignment?.[0]?.fqdn;
  if (fqdn) annotations[FQDN_ANNOTATION] = fqdn;
  return annotations;
}

/** The spec of a port's endpoint at `host` (spec §4.4). */
export function endpointSpec(port: NeutronPort, host: string, ctx: Pick<WorkloadEndpointContext, 'subnets' | 'floatingIps' | 'qosPolicy' | 'qosConfig'>): OpenStackWorkloadEndpointSpec {
  // Gateways go in the order the loop first sets them, as in the Python dict.
  const gateways: { ipv4Gateway?: string; ipv6Gateway?: string } = {};
  const fixedNetworks: string[] = [];
  for (const ip of port.fixed_ips ?? []) {
    const v6 = ip.ip_address.includes(':');
    fixedNetworks.push(`${ip.ip_address}/${v6 ? 128 : 32}`);
    // With several fixed IPs of a family, the last one whose subnet has a gateway wins.
    const gateway = ctx.subnets.get(ip.subnet_id)?.gateway_ip;
    if (gateway != null) gateways[v6 ? 'ipv6Gateway' : 'ipv4Gateway'] = gateway;
  }
  const allowedIps = (port.allowed_address_pairs ?? []).map((pair) => allowedAddressNetwork(pair.ip_address));
  const ipNATs = ctx.floatingIps
    .filter((fip) => fip.port_id === port.id && fip.fixed_ip_address)
    .map((fip) => ({ internalIP: fip.fixed_ip_address!, externalIP: fip.floating_ip_address }));
  const qosControls = buildQosControls(ctx.qosPolicy, ctx.qosConfig);
  return {
    orchestrator: ORCHESTRATOR,
    workload: port.device_id,
    node: host,
    endpoint: port.id,
    interfaceName: interfaceNameForPort(port.id),
    mac: port.mac_address,
    ...gateways,
    // Allowed-address pairs are routed to the port too, so they are endpoint networks as well.
    ipNetworks: [...fixedNetworks, ...allowedIps],
    allowedIps,
    ...(ipNATs.length > 0 ? { ipNATs } : {}),
    ...(Object.keys(qosControls).length > 0 ? { qosControls } : {}),
  };
}

/**
 * An allowed-address pair as a network: an address gets `/32` or `/128`; a CIDR (Neutron
 * permits them) is written as that CIDR, where networking-calico appends a second suffix and
 * writes an unusable `10.0.0.0/24/32` (spec §12 item 4). Felix routes and accepts the whole
 * range; note that Calico's v3 validator accepts only single addresses in `ipNetworks`.
 */
export function allowedAddressNetwork(ipAddress: string): string {
  if (ipAddress.includes('/')) return canonicalCIDR(ipAddress) ?? ipAddress;
  return `${ipAddress}/${ipAddress.includes(':') ? 128 : 32}`;
}
