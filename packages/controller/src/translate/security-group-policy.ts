/**
 * Security group → NetworkPolicy (spec §5): one namespaced policy `ossg.default.<sg-id>` per
 * group, selecting the ports that carry the group's label, with one Allow rule per Neutron
 * rule. Protocols follow what networking-calico writes with the real neutron-lib protocol map
 * (`tcp` → 6, `icmp` → `"ICMP"`/`"ICMPv6"`, numbers stored as text stay text).
 * @module
 */
import type { Resource } from '@percale/api';
import type { NeutronSecurityGroup, NeutronSecurityGroupRule } from '../neutron/types.ts';
import { API_VERSION, SG_LABEL_PREFIX, SG_POLICY_NAME_PREFIX } from './constants.ts';

/**
 * neutron-lib's `IP_PROTOCOL_MAP` (3.x): the protocol names Neutron accepts and their numbers.
 * networking-calico writes a named protocol as its number (except ICMP, below).
 */
export const NEUTRON_IP_PROTOCOL_MAP: Readonly<Record<string, number>> = {
  ah: 51, dccp: 33, egp: 8, esp: 50, gre: 47, hopopt: 0, icmp: 1, igmp: 2, ip: 0, ipip: 4,
  'ipv6-encap': 41, 'ipv6-frag': 44, 'ipv6-icmp': 58, icmpv6: 58, 'ipv6-nonxt': 59, 'ipv6-opts': 60,
  'ipv6-route': 43, ospf: 89, pgm: 113, rsvp: 46, sctp: 132, tcp: 6, udp: 17, udplite: 136, vrrp: 112,
};

/** A rule's entity (`source` / `destination`) as written. */
export type PolicyEntityRule = {
  selector?: string;
  nets?: string[];
  ports?: Array<number | string>;
};

/** One translated rule, members in networking-calico's order. */
export type PolicyRule = {
  action: 'Allow';
  ipVersion: 4 | 6;
  protocol?: number | string;
  icmp?: { type?: number; code?: number };
  destination?: PolicyEntityRule;
  source?: PolicyEntityRule;
};

/** The spec of a security group's policy. */
export type SecurityGroupPolicySpec = {
  ingress: PolicyRule[];
  egress: PolicyRule[];
  selector: string;
};

/** A rule as Neutron may return it; newer Neutron adds address-group remotes. */
export type SecurityGroupRuleInput = NeutronSecurityGroupRule & { remote_address_group_id?: string | null };

/** The policy name of a security group: `ossg.default.<sg-id>`. */
export function securityGroupPolicyName(sgId: string): string {
  return SG_POLICY_NAME_PREFIX + sgId;
}

/** The selector matching a security group's ports: `has(sg.projectcalico.org/openstack-<sg-id>)`. */
export function securityGroupSelector(sgId: string): string {
  return `has(${SG_LABEL_PREFIX}${sgId})`;
}

/**
 * The NetworkPolicy for security group `sg` in `namespace`: metadata `{name, namespace}` and
 * `{ingress, egress, selector}` built from the group's own rules (rules of other groups in
 * `rules` are skipped). No `order`, `types` or `tier`: Calico then applies the policy in both
 * directions, after ordered policies, in the default tier.
 * @param rules The rules to translate (default: the group's embedded `security_group_rules`).
 */
export function buildSecurityGroupPolicy(
  sg: Pick<NeutronSecurityGroup, 'id' | 'security_group_rules'>,
  namespace: string,
  rules: readonly SecurityGroupRuleInput[] = sg.security_group_rules ?? [],
): Resource<SecurityGroupPolicySpec> {
  return {
    kind: 'NetworkPolicy',
    apiVersion: API_VERSION,
    metadata: { name: securityGroupPolicyName(sg.id), namespace },
    spec: securityGroupPolicySpec(sg.id, rules),
  };
}

/** The policy spec of security group `sgId` (spec §5.2). */
export function securityGroupPolicySpec(sgId: string, rules: readonly SecurityGroupRuleInput[]): SecurityGroupPolicySpec {
  const ingress: PolicyRule[] = [];
  const egress: PolicyRule[] = [];
  for (const rule of rules) {
    if (rule.security_group_id !== sgId) continue;
    const translated = translateSecurityGroupRule(rule);
    if (translated) (rule.direction === 'ingress' ? ingress : egress).push(translated);
  }
  return { ingress, egress, selector: securityGroupSelector(sgId) };
}

/**
 * One Neutron rule as a Calico rule (spec §5.3), or undefined for a rule Calico cannot
 * express; leaving it out denies what it would have allowed, where writing it would make
 * Felix reject (and so drop) the group's whole policy:
 * - ports on a protocol without Calico port matching (DCCP, UDP-Lite);
 * - ICMP type 255 (Calico accepts 0–254);
 * - an address-group remote (`remote_address_group_id`), which networking-calico ignores,
 *   turning the rule into an allow from anywhere.
 */
export function translateSecurityGroupRule(rule: SecurityGroupRuleInput): PolicyRule | undefined {
  if (rule.remote_address_group_id) return undefined;
  const ipVersion = rule.ethertype === 'IPv6' ? 6 : 4;
  const out: PolicyRule = { action: 'Allow', ipVersion };
  const protocol = calicoProtocol(rule.protocol, ipVersion);
  if (protocol !== undefined) out.protocol = protocol;

  let ports: Array<number | string> | undefined;
  if (isIcmpProtocol(rule.protocol)) {
    // Neutron keeps the ICMP type and code in port_range_min / port_range_max.
    const icmp: { type?: number; code?: number } = {};
    if (rule.port_range_min != null && rule.port_range_min !== -1) icmp.type = rule.port_range_min;
    if (rule.port_range_max != null && rule.port_range_max !== -1) icmp.code = rule.port_range_max;
    if (icmp.type === 255) return undefined;
    if (icmp.type !== undefined || icmp.code !== undefined) out.icmp = icmp;
  } else {
    ports = portMatch(rule.port_range_min, rule.port_range_max);
    if (ports && protocol !== undefined && !hasCalicoPorts(protocol)) return undefined;
  }

  const entity: PolicyEntityRule = {};
  if (rule.remote_group_id != null) entity.selector = securityGroupSelector(rule.remote_group_id);
  if (rule.remote_ip_prefix != null) entity.nets = [rule.remote_ip_prefix];
  // The local VM's ports are always the destination side: for ingress the remote is the
  // source; for egress the remote is the destination and takes the ports.
  if (ports) {
    if (rule.direction === 'ingress') out.destination = { ports };
    else entity.ports = ports;
  }
  if (Object.keys(entity).length > 0) {
    if (rule.direction === 'ingress') out.source = entity;
    else out.destination = entity;
  }
  return out;
}

/**
 * The Calico protocol for a Neutron one: undefined for "any" (null, `any`, 0, -1, and names
 * whose number is 0, which Calico cannot match and Neutron documents as any); `ICMP`/`ICMPv6`
 * for `icmp` by IP version and for `ipv6-icmp`; other names as numbers; integers as given;
 * numeric text as Neutron stores it (`"17"`, which Calico reads as 17).
 */
export function calicoProtocol(protocol: string | number | null, ipVersion: 4 | 6): number | string | undefined {
  if (protocol === null || protocol === undefined) return undefined;
  if (typeof protocol === 'number') return protocol === 0 || protocol === -1 ? undefined : protocol;
  const name = protocol.toLowerCase();
  if (name === 'any' || name === '' || /^(-1|0+)$/.test(name)) return undefined;
  if (name === 'ipv6-icmp') return 'ICMPv6';
  if (name === 'icmp') return ipVersion === 4 ? 'ICMP' : 'ICMPv6';
  const num = NEUTRON_IP_PROTOCOL_MAP[name];
  if (num !== undefined) return num === 0 ? undefined : num;
  return protocol.toUpperCase();
}

/** Protocols whose port range fields hold an ICMP type and code, as Neutron validates them. */
function isIcmpProtocol(protocol: string | number | null): boolean {
  if (protocol === null || protocol === undefined) return false;
  const text = String(protocol).toLowerCase();
  // networking-calico recognises only `icmp` and `ipv6-icmp`, so the legacy `icmpv6` and the
  // numbers 1 and 58 got ports, which Calico rejects for those protocols (spec §12 item 2).
  return ['icmp', 'ipv6-icmp', 'icmpv6'].includes(text) || /^0*(1|58)$/.test(text);
}

/**
 * The port match of a port-protocol rule, as Neutron's own firewall reads the range: no
 * minimum (or -1) matches any port; a minimum alone or equal bounds match one port; otherwise
 * the range `"min:max"`. (networking-calico writes `"80:None"` for a missing maximum, §12 item 3.)
 */
function portMatch(min: number | null, max: number | null): Array<number | string> | undefined {
  if (min == null || min === -1) return undefined;
  if (max == null || max === min) return [min];
  return [`${min}:${max}`];
}

/** Protocols Calico can match ports for: TCP, UDP and SCTP. */
function hasCalicoPorts(protocol: number | string): boolean {
  const text = String(protocol).toUpperCase();
  return ['6', '17', '132', 'TCP', 'UDP', 'SCTP'].includes(text.replace(/^0+(?=\d)/, ''));
}
