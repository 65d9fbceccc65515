/**
 * The contract between the calculation graph and the dataplane: plain, serialisable
 * messages (Felix's `ToDataplane`, reshaped as discriminated unions). `calc/` only
 * produces them and `dataplane/` only consumes them; neither imports the other.
 *
 * Ordering guarantee (the event sequencer's job): an IP set exists before any policy
 * that references it, a policy/profile before any endpoint that references it, and
 * removals come only after references are gone.
 * @module
 */

/** Identifies a policy: `namespace` only for namespaced kinds. */
export interface PolicyID {
  kind: 'NetworkPolicy' | 'GlobalNetworkPolicy';
  namespace?: string;
  name: string;
}

/** Identifies a local workload endpoint by its v3 key. */
export interface EndpointID {
  namespace: string;
  name: string;
}

/** An inclusive port range; a single port has `first === last`. */
export interface PortRange {
  first: number;
  last: number;
}

export interface ICMPMatch {
  type: number;
  code?: number;
}

/**
 * One policy or profile rule, resolved: selectors replaced by IP set IDs, CIDRs
 * reduced to their networks, protocols as numbers. Empty lists mean "no constraint".
 */
export interface Rule {
  action: 'allow' | 'deny' | 'pass' | 'log';
  /** Restricts the rule to one IP family. */
  ipVersion?: 4 | 6;
  /** IANA protocol number (TCP 6, UDP 17, ICMP 1, ICMPv6 58, SCTP 132, UDPLite 136). */
  protocol?: number;
  notProtocol?: number;
  srcNets: string[];
  notSrcNets: string[];
  dstNets: string[];
  notDstNets: string[];
  srcPorts: PortRange[];
  notSrcPorts: PortRange[];
  dstPorts: PortRange[];
  notDstPorts: PortRange[];
  /** IDs of 'net' IP sets whose members the source must (not) be in. */
  srcIPSets: string[];
  notSrcIPSets: string[];
  dstIPSets: string[];
  notDstIPSets: string[];
  /** IDs of 'ip-and-port' IP sets for named ports. */
  srcNamedPortIPSets: string[];
  notSrcNamedPortIPSets: string[];
  dstNamedPortIPSets: string[];
  notDstNamedPortIPSets: string[];
  icmp?: ICMPMatch;
  notICMP?: ICMPMatch;
  /**
   * True when the rule can never match (e.g. a selector was invalid): it is kept so
   * rule positions stay stable, and rendered as nothing. Fails closed.
   */
  neverMatches?: boolean;
}

/** A policy's rules, ready to render. */
export interface PolicyRules {
  tier: string;
  inbound: Rule[];
  outbound: Rule[];
  untracked: boolean;
  preDNAT: boolean;
  applyOnForward: boolean;
}

/** A profile's rules. */
export interface ProfileRules {
  inbound: Rule[];
  outbound: Rule[];
}

/** One tier as it applies to one endpoint: the matching policies, in order, per direction. */
export interface TierInfo {
  name: string;
  defaultAction: 'Deny' | 'Pass';
  ingressPolicies: PolicyID[];
  egressPolicies: PolicyID[];
}

export interface NATMapping {
  externalIP: string;
  internalIP: string;
}

/** A workload endpoint on this host, with the policies that apply to it. */
export interface LocalEndpoint {
  interfaceName: string;
  mac?: string;
  /** Orchestrator, workload and endpoint IDs, for status reporting. */
  orchestrator: string;
  workload: string;
  endpoint: string;
  /** Addresses as networks with full-length prefixes (`10.65.0.2/32`, `fd00::2/128`). */
  ipv4Nets: string[];
  ipv6Nets: string[];
  ipv4NAT: NATMapping[];
  ipv6NAT: NATMapping[];
  profileIds: string[];
  tiers: TierInfo[];
  allowSpoofedSourcePrefixes: string[];
  qosControls?: Record<string, number>;
}

/** An IP pool as the dataplane needs it (NAT, the pool sets). */
export interface IPPoolInfo {
  cidr: string;
  natOutgoing: boolean;
  disabled: boolean;
  ipipMode: string;
  vxlanMode: string;
  disableBGPExport: boolean;
}

export type IPSetType = 'net' | 'ip-and-port';

/**
 * A host's IPv4 VXLAN tunnel endpoint (Felix's `VXLANTunnelEndpointUpdate`), from its Node:
 * sent only when the Node has both a BGP IPv4 address and `ipv4VXLANTunnelAddr`.
 */
export interface VTEP {
  node: string;
  /** The host's underlay address (Node `spec.bgp.ipv4Address` without the prefix): outer source/destination. */
  parentDeviceIP: string;
  /** The address of the host's `vxlan.calico` (Node `spec.ipv4VXLANTunnelAddr`). */
  ipv4Addr: string;
  /** `vxlan.calico`'s MAC: Node `spec.vxlanTunnelMACAddr`, else derived from the node name as Felix does. */
  mac: string;
}

/**
 * A route to a workload address on another host inside an encapsulated pool (Felix's
 * `RouteUpdate` of type remote-workload with `RouteSource=WorkloadIPs`: OpenStack has no IPAM
 * blocks). Routes in unencapsulated pools are BIRD's and are not sent.
 */
export interface RemoteWorkloadRoute {
  /** The workload address as a full-length network (`10.65.1.5/32`). */
  cidr: string;
  dstNode: string;
  /** The destination host's underlay IPv4 address, when its Node has one. */
  dstNodeIP?: string;
  /** The containing pool's encapsulation. */
  encap: 'vxlan' | 'ipip';
  /**
   * The pool's mode is CrossSubnet and the destination host is on this host's subnet (this
   * Node's `spec.bgp.ipv4Address` prefix): route it unencapsulated, via the host's address.
   */
  sameSubnet: boolean;
}

/** A message from the calculation graph to the dataplane. */
export type DataplaneMessage =
  | { type: 'in-sync' }
  /** Merged agent configuration from the datastore (names as in felix.cfg). */
  | { type: 'config-update'; config: Record<string, string> }
  /** A new IP set with its full membership (`net`: CIDRs; `ip-and-port`: `ip,proto:port`). */
  | { type: 'ipset-update'; id: string; setType: IPSetType; members: string[] }
  | { type: 'ipset-delta'; id: string; added: string[]; removed: string[] }
  | { type: 'ipset-remove'; id: string }
  | { type: 'policy-update'; id: PolicyID; policy: PolicyRules }
  | { type: 'policy-remove'; id: PolicyID }
  | { type: 'profile-update'; id: string; profile: ProfileRules }
  | { type: 'profile-remove'; id: string }
  | { type: 'endpoint-update'; id: EndpointID; endpoint: LocalEndpoint }
  | { type: 'endpoint-remove'; id: EndpointID }
  | { type: 'ippool-update'; id: string; pool: IPPoolInfo }
  | { type: 'ippool-remove'; id: string }
  /** A host's addresses (from Node resources): BGP and NAT exclusions use them. */
  | { type: 'host-update'; hostname: string; ipv4Address?: string; ipv6Address?: string }
  | { type: 'host-remove'; hostname: string }
  /** A host's VXLAN tunnel endpoint (this host's own included: it configures `vxlan.calico`). */
  | { type: 'vtep-update'; vtep: VTEP }
  | { type: 'vtep-remove'; node: string }
  | { type: 'route-update'; route: RemoteWorkloadRoute }
  | { type: 'route-remove'; cidr: string };

/** A stable string key for a policy ID (maps, logs, chain names). */
export function policyKey(id: PolicyID): string {
  return id.namespace ? `${id.kind}/${id.namespace}/${id.name}` : `${id.kind}/${id.name}`;
}

/** A stable string key for an endpoint ID. */
export function endpointKey(id: EndpointID): string {
  return `${id.namespace}/${id.name}`;
}
