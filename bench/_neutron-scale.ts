/**
 * The shape of networking-calico's own resync scale test, as Neutron objects: N ports on
 * √N hosts, N/100 networks each with one /24 subnet, two security groups per network (one
 * allowing ingress from itself, one allowing TCP 22 from anywhere), and every port in both
 * groups of its network (a real Neutron adds its two default egress rules to each group). Used by
 * the controller benchmarks, in memory and against a real Neutron.
 */
import type { NeutronNetwork, NeutronPort, NeutronSecurityGroup, NeutronSubnet } from '../packages/controller/src/neutron/types.ts';

/** Deterministic UUID-shaped ids, so names and keys look like production ones. */
export function uuidFor(kind: number, i: number): string {
  const hex = i.toString(16).padStart(12, '0');
  return `${kind.toString(16).padStart(8, '0')}-0000-4000-8000-${hex}`;
}

export interface ScaleShape {
  ports: NeutronPort[];
  networks: NeutronNetwork[];
  subnets: NeutronSubnet[];
  securityGroups: NeutronSecurityGroup[];
  hosts: string[];
}

/** The objects for `n` ports. */
export function scaleShape(n: number, project = 'bench-project'): ScaleShape {
  const hostCount = Math.max(1, Math.round(Math.sqrt(n)));
  const netCount = Math.max(1, Math.ceil(n / 100));
  const hosts = Array.from({ length: hostCount }, (_, i) => `compute-${i}`);
  const networks: NeutronNetwork[] = [];
  const subnets: NeutronSubnet[] = [];
  const securityGroups: NeutronSecurityGroup[] = [];
  for (let i = 0; i < netCount; i++) {
    const netId = uuidFor(1, i);
    const subId = uuidFor(2, i);
    networks.push({ id: netId, name: `scale-net-${i}`, project_id: project, subnets: [subId] });
    subnets.push({
      id: subId, name: `scale-subnet-${i}`, network_id: netId, project_id: project, ip_version: 4,
      cidr: `10.${100 + Math.floor(i / 256)}.${i % 256}.0/24`, gateway_ip: `10.${100 + Math.floor(i / 256)}.${i % 256}.1`,
      enable_dhcp: true, dns_nameservers: [], host_routes: [], ipv6_ra_mode: null, ipv6_address_mode: null,
    });
    const sgA = uuidFor(3, 2 * i);
    const sgB = uuidFor(3, 2 * i + 1);
    const rule = (id: number, sg: string, extra: Partial<NeutronSecurityGroup['security_group_rules'][number]>) => ({
      id: uuidFor(4, id), security_group_id: sg, direction: 'ingress' as const, ethertype: 'IPv4' as const, protocol: null,
      port_range_min: null, port_range_max: null, remote_ip_prefix: null, remote_group_id: null, ...extra,
    });
    securityGroups.push({
      id: sgA, name: `scale-sg-${i}-a`, project_id: project,
      security_group_rules: [rule(4 * i, sgA, { remote_group_id: sgA }), rule(4 * i + 1, sgA, { protocol: 'icmp', remote_ip_prefix: '0.0.0.0/0' })],
    });
    securityGroups.push({
      id: sgB, name: `scale-sg-${i}-b`, project_id: project,
      security_group_rules: [rule(4 * i + 2, sgB, { protocol: 'tcp', port_range_min: 22, port_range_max: 22, remote_ip_prefix: '0.0.0.0/0' }), rule(4 * i + 3, sgB, { direction: 'egress', protocol: 'tcp', port_range_min: 443, port_range_max: 443, remote_ip_prefix: '0.0.0.0/0' })],
    });
  }
  const ports: NeutronPort[] = [];
  for (let i = 0; i < n; i++) {
    const net = i % netCount;
    const slot = Math.floor(i / netCount) + 2;
    const id = uuidFor(5, i);
    ports.push({
      id, name: `scale-port-${i}`, network_id: networks[net]!.id, project_id: project, tenant_id: project,
      mac_address: `fa:16:3e:${((i >> 16) & 255).toString(16).padStart(2, '0')}:${((i >> 8) & 255).toString(16).padStart(2, '0')}:${(i & 255).toString(16).padStart(2, '0')}`,
      admin_state_up: true, status: 'ACTIVE',
      fixed_ips: [{ subnet_id: subnets[net]!.id, ip_address: subnets[net]!.cidr.replace(/0\/24$/, String(slot)) }],
      security_groups: [securityGroups[2 * net]!.id, securityGroups[2 * net + 1]!.id],
      device_id: uuidFor(6, i), device_owner: 'compute:nova',
      'binding:host_id': hosts[i % hostCount]!, 'binding:vif_type': 'tap', 'binding:profile': {},
      allowed_address_pairs: [],
    });
  }
  return { ports, networks, subnets, securityGroups, hosts };
}
