/**
 * Translation from Neutron objects to what the controller stores: WorkloadEndpoints,
 * security-group NetworkPolicies, LiveMigrations, DHCP subnet records and the controller's
 * share of the global configuration, plus the comparison the resync uses. Pure functions, no I/O.
 * @module
 */
export * from './constants.ts';
export { pythonJsonDumps } from './python-json.ts';
export { sanitizeLabelValue } from './sanitize-label-value.ts';
export { isEndpointPort } from './endpoint-port.ts';
export { endpointName } from './endpoint-name.ts';
export {
  buildWorkloadEndpoint, endpointLabels, endpointAnnotations, endpointSpec, interfaceNameForPort, allowedAddressNetwork,
  type WorkloadEndpointContext, type OpenStackWorkloadEndpointSpec,
} from './workload-endpoint.ts';
export { buildQosControls, qosPolicyIdForPort, type QosControls } from './qos-controls.ts';
export {
  buildSecurityGroupPolicy, securityGroupPolicySpec, securityGroupPolicyName, securityGroupSelector, translateSecurityGroupRule,
  calicoProtocol, NEUTRON_IP_PROTOCOL_MAP,
  type SecurityGroupPolicySpec, type PolicyRule, type PolicyEntityRule, type SecurityGroupRuleInput,
} from './security-group-policy.ts';
export { buildLiveMigration, type LiveMigrationSpec, type LiveMigrationEndpoint } from './live-migration.ts';
export { subnetRecord, subnetKey, subnetPrefix, LEGACY_SUBNET_PREFIX } from './subnet-record.ts';
export { netaddrCidr } from './netaddr-cidr.ts';
export { mergeClusterInformation, newClusterGUID, type MergeResult } from './merge-cluster-information.ts';
export { mergeFelixConfiguration } from './merge-felix-configuration.ts';
export { resourceDataEqual, type ResourceData } from './resource-data-equal.ts';
