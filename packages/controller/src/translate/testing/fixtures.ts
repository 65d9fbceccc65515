/**
 * Neutron objects of networking-calico's unit-test fixtures (spec §11, `test/lib.py`), as the
 * Neutron API returns them, for the translation tests.
 * @module
 */
import type { QosConfig } from '../../config/controller-config.ts';
import type {
  NeutronFloatingIp, NeutronPort, NeutronQosPolicy, NeutronSecurityGroup, NeutronSecurityGroupRule, NeutronSubnet,
} from '../../neutron/types.ts';
import type { WorkloadEndpointContext } from '../workload-endpoint.ts';

/** A port with the fields every fixture shares; `overrides` replace them. */
export function makePort(overrides: Partial<NeutronPort>): NeutronPort {
  return {
    id: 'port-id', name: '', network_id: 'calico-network-id', tenant_id: 'jane3', mac_address: '00:11:22:33:44:55',
    admin_state_up: true, status: 'ACTIVE', fixed_ips: [], security_groups: ['SGID-default'], device_id: 'instance',
    device_owner: 'compute:nova', 'binding:host_id': 'felix-host-1', 'binding:vif_type': 'tap', 'binding:profile': {},
    allowed_address_pairs: [],
    ...overrides,
  };
}

export const PORT1 = makePort({
  id: 'DEADBEEF-1234-5678', device_id: 'instance-1',
  fixed_ips: [{ subnet_id: 'subnet-id-10.65.0--24', ip_address: '10.65.0.2' }],
  allowed_address_pairs: [{ ip_address: '23.23.23.2', mac_address: '00:11:22:33:44:66' }],
});

export const PORT2 = makePort({
  id: 'FACEBEEF-1234-5678', device_id: 'instance-2', mac_address: '00:11:22:33:44:66',
  fixed_ips: [{ subnet_id: 'subnet-id-10.65.0--24', ip_address: '10.65.0.3' }],
});

export const PORT3 = makePort({
  id: 'HELLO-1234-5678', device_id: 'instance-3', 'binding:host_id': 'felix-host-2', mac_address: '00:11:22:33:44:77',
  fixed_ips: [{ subnet_id: 'subnet-id-2001:db8:a41:2--64', ip_address: '2001:db8:a41:2::12' }],
});

export const SUBNETS: ReadonlyMap<string, Pick<NeutronSubnet, 'gateway_ip'>> = new Map([
  ['subnet-id-10.65.0--24', { gateway_ip: '10.65.0.1' }],
  ['subnet-id-2001:db8:a41:2--64', { gateway_ip: '2001:db8:a41:2::1' }],
]);

function rule(overrides: Partial<NeutronSecurityGroupRule>): NeutronSecurityGroupRule {
  return {
    id: 'rule', security_group_id: 'SGID-default', direction: 'ingress', ethertype: 'IPv4', protocol: null,
    port_range_min: null, port_range_max: null, remote_ip_prefix: null, remote_group_id: null, ...overrides,
  };
}
export { rule as makeRule };

/** The default SG of the fixtures: ingress from itself, egress anywhere, both families (protocol -1, min -1). */
export const DEFAULT_SG: NeutronSecurityGroup = {
  id: 'SGID-default',
  name: 'My default SG',
  security_group_rules: [
    rule({ id: 'r1', direction: 'ingress', ethertype: 'IPv4', protocol: -1, port_range_min: -1, remote_group_id: 'SGID-default' }),
    rule({ id: 'r2', direction: 'ingress', ethertype: 'IPv6', protocol: -1, port_range_min: -1, remote_group_id: 'SGID-default' }),
    rule({ id: 'r3', direction: 'egress', ethertype: 'IPv4', protocol: -1, port_range_min: -1 }),
    rule({ id: 'r4', direction: 'egress', ethertype: 'IPv6', protocol: -1, port_range_min: -1 }),
  ],
};

export const FLOATING_IP: NeutronFloatingIp = {
  id: 'fip-1', floating_ip_address: '192.168.0.1', fixed_ip_address: '10.65.0.2', port_id: 'DEADBEEF-1234-5678',
};

/** QoS policy "1": 10 Mbit/s egress. */
export const QOS_POLICY_1: NeutronQosPolicy = { id: '1', rules: [{ type: 'bandwidth_limit', max_kbps: 10000, max_burst_kbps: 0 }] };

/** QoS policy "2": limits in both directions, plus a DSCP rule the translation ignores. */
export const QOS_POLICY_2: NeutronQosPolicy = {
  id: '2',
  rules: [
    { type: 'bandwidth_limit', max_kbps: 1, max_burst_kbps: 2, direction: 'ingress' },
    { type: 'packet_rate_limit', max_kpps: 5, max_burst_kpps: 0, direction: 'ingress' },
    { type: 'dscp_marking' },
    { type: 'bandwidth_limit', max_kbps: 3, max_burst_kbps: 4, direction: 'egress' },
    { type: 'packet_rate_limit', max_kpps: 6, max_burst_kpps: 0, direction: 'egress' },
  ],
};

/** The unit tests' QoS configuration: every option 0. */
export const ZERO_QOS: QosConfig = {
  maxIngressConnectionsPerPort: 0, maxEgressConnectionsPerPort: 0, ingressBurstBits: 0, egressBurstBits: 0,
  ingressMinburstBytes: 0, egressMinburstBytes: 0, ingressBurstPackets: 0, egressBurstPackets: 0,
};

/** The context of the fixtures: default SG, the network `calico-network-name`, project `pname+jane3` under `gibson`. */
export function fixtureContext(overrides: Partial<WorkloadEndpointContext> = {}): WorkloadEndpointContext {
  return {
    namespace: 'openstack',
    subnets: SUBNETS,
    network: { name: 'calico-network-name' },
    securityGroups: new Map([[DEFAULT_SG.id, DEFAULT_SG]]),
    floatingIps: [FLOATING_IP],
    project: { name: 'pname+jane3', parent_id: 'gibson' },
    qosConfig: ZERO_QOS,
    ...overrides,
  };
}
