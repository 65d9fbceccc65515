/**
 * What the region's datastore should hold for a Neutron object: the sync engine's single
 * entry to the pure translation in translate/, with the per-port lookups (network, subnets,
 * groups, floating IPs, project, QoS policy) resolved from a `PortContext`.
 * @module
 */
import type { Resource } from '@percale/api';
import type { NeutronPort, NeutronSecurityGroup, NeutronSubnet } from '../neutron/types.ts';
import { NETWORK_ID_ANNOTATION, SG_LABEL_PREFIX, SG_POLICY_NAME_PREFIX } from '../translate/constants.ts';
import { endpointName } from '../translate/endpoint-name.ts';
import { isEndpointPort } from '../translate/endpoint-port.ts';
import { buildLiveMigration } from '../translate/live-migration.ts';
import { mergeClusterInformation } from '../translate/merge-cluster-information.ts';
import { mergeFelixConfiguration } from '../translate/merge-felix-configuration.ts';
import { qosPolicyIdForPort } from '../translate/qos-controls.ts';
import { buildSecurityGroupPolicy } from '../translate/security-group-policy.ts';
import { subnetKey, subnetPrefix as translateSubnetPrefix, subnetRecord } from '../translate/subnet-record.ts';
import { buildWorkloadEndpoint } from '../translate/workload-endpoint.ts';
import { projectIdOf, type PortContext } from './port-context.ts';
import type { SyncEnv } from './sync-env.ts';

export { isEndpointPort, NETWORK_ID_ANNOTATION, SG_LABEL_PREFIX };

/** The name prefix of the policies the controller owns in its namespace. */
export const POLICY_PREFIX = SG_POLICY_NAME_PREFIX;

const NO_FIPS: never[] = [];

/**
 * The endpoint name of `port` at `host`, or undefined when the port cannot have one there
 * (an empty host, device id or port id: Calico's naming refuses those).
 */
export function endpointNameFor(host: string, port: Pick<NeutronPort, 'id' | 'device_id'>): string | undefined {
  try {
    return endpointName(host, port);
  } catch {
    return undefined;
  }
}

/** The end every endpoint name of port `portId` has: `-` and the id with its dashes doubled. */
export function portIdSuffix(portId: string): string {
  return `-${portId.replaceAll('-', '--')}`;
}

/** The WorkloadEndpoint `port` should have at `host`. */
export function buildEndpoint(port: NeutronPort, host: string, ctx: PortContext, env: Pick<SyncEnv, 'namespace' | 'qos'>): Resource {
  const projectId = projectIdOf(port);
  const qosId = qosPolicyIdForPort(port);
  const project = projectId === undefined ? undefined : ctx.projects.get(projectId);
  const network = ctx.networks.get(port.network_id);
  const qosPolicy = qosId === undefined ? undefined : ctx.qosPolicies.get(qosId);
  return buildWorkloadEndpoint(port, host, {
    namespace: env.namespace,
    subnets: ctx.subnets,
    ...(network && { network }),
    securityGroups: ctx.securityGroups,
    floatingIps: ctx.floatingIps.get(port.id) ?? NO_FIPS,
    ...(project && { project }),
    ...(qosPolicy && { qosPolicy }),
    qosConfig: env.qos,
  }) as unknown as Resource;
}

/**
 * The LiveMigration of `port` moving from its binding host to `destHost` (spec §10.3), named
 * like the destination's endpoint.
 */
export function buildLiveMigrationFor(port: NeutronPort, destHost: string, env: Pick<SyncEnv, 'namespace'>): Resource {
  return buildLiveMigration(port, port['binding:host_id'], destHost, env.namespace) as unknown as Resource;
}

/** The NetworkPolicy of security group `sg`. */
export function buildPolicy(sg: NeutronSecurityGroup, env: Pick<SyncEnv, 'namespace'>): Resource {
  return buildSecurityGroupPolicy(sg, env.namespace) as unknown as Resource;
}

/** The region's subnet-record prefix, ending in `/`. */
export function subnetPrefix(env: Pick<SyncEnv, 'regionString'>): string {
  return `${translateSubnetPrefix(env.regionString)}/`;
}

/** The key and value of a subnet's DHCP record, or undefined when it must have none (DHCP off). */
export function subnetEntry(subnet: NeutronSubnet, env: Pick<SyncEnv, 'regionString'>): { key: string; value: string } | undefined {
  const value = subnetRecord(subnet);
  return value === undefined ? undefined : { key: subnetKey(env.regionString, subnet.id), value };
}

/** The ClusterInformation spec to write, or undefined when the stored one already suits OpenStack. */
export function clusterInformationChange(spec: Record<string, unknown> | undefined): Record<string, unknown> | undefined {
  const merged = mergeClusterInformation(spec);
  return merged.changed ? merged.spec : undefined;
}

/** The FelixConfiguration spec to write (endpoint reporting on, `tap` interfaces), or undefined when already so. */
export function felixConfigurationChange(spec: Record<string, unknown> | undefined): Record<string, unknown> | undefined {
  const merged = mergeFelixConfiguration(spec);
  return merged.changed ? merged.spec : undefined;
}
