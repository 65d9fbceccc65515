/**
 * The Neutron side of the controller's contracts: the shapes of Neutron's REST objects as the
 * controller reads them (only the fields it uses), and the three interfaces through which it
 * talks to Neutron — reading state, receiving notifications, and Neutron's agent RPC.
 * The REST client, the AMQP code and the test fakes implement these; the translation,
 * resync and status code consume them.
 * @module
 */

/** One fixed IP of a port. */
export interface NeutronFixedIp {
  subnet_id: string;
  ip_address: string;
}

/** An allowed-address pair: `ip_address` may be an address or a CIDR. */
export interface NeutronAddressPair {
  ip_address: string;
  mac_address?: string;
}

/** Neutron's DNS integration: one assigned name per fixed IP. */
export interface NeutronDnsAssignment {
  hostname: string;
  ip_address: string;
  fqdn: string;
}

/** A port (`GET /v2.0/ports`), with the binding extension's fields. */
export interface NeutronPort {
  id: string;
  name: string;
  network_id: string;
  project_id?: string;
  tenant_id?: string;
  mac_address: string;
  admin_state_up: boolean;
  status: string;
  fixed_ips: NeutronFixedIp[];
  security_groups: string[];
  device_id: string;
  device_owner: string;
  'binding:host_id': string;
  'binding:vif_type': string;
  'binding:profile': Record<string, unknown>;
  allowed_address_pairs: NeutronAddressPair[];
  port_security_enabled?: boolean;
  dns_assignment?: NeutronDnsAssignment[];
  qos_policy_id?: string | null;
  qos_network_policy_id?: string | null;
  revision_number?: number;
  updated_at?: string;
}

/** A network (`GET /v2.0/networks`). */
export interface NeutronNetwork {
  id: string;
  name: string;
  project_id?: string;
  subnets: string[];
  qos_policy_id?: string | null;
}

/** A host route of a subnet. */
export interface NeutronHostRoute {
  destination: string;
  nexthop: string;
}

/** A subnet (`GET /v2.0/subnets`). */
export interface NeutronSubnet {
  id: string;
  name: string;
  network_id: string;
  project_id?: string;
  ip_version: 4 | 6;
  cidr: string;
  gateway_ip: string | null;
  enable_dhcp: boolean;
  dns_nameservers: string[];
  host_routes: NeutronHostRoute[];
  ipv6_ra_mode: string | null;
  ipv6_address_mode: string | null;
}

/** A security group rule (`GET /v2.0/security-group-rules`). */
export interface NeutronSecurityGroupRule {
  id: string;
  security_group_id: string;
  direction: 'ingress' | 'egress';
  ethertype: 'IPv4' | 'IPv6';
  /** A protocol name (`tcp`, `icmp`, `any`), a number as a string (`"17"`), a number, or null for any. */
  protocol: string | number | null;
  port_range_min: number | null;
  port_range_max: number | null;
  remote_ip_prefix: string | null;
  remote_group_id: string | null;
}

/** A security group (`GET /v2.0/security-groups`), with its rules as Neutron embeds them. */
export interface NeutronSecurityGroup {
  id: string;
  name: string;
  project_id?: string;
  security_group_rules: NeutronSecurityGroupRule[];
}

/** A floating IP (`GET /v2.0/floatingips`). */
export interface NeutronFloatingIp {
  id: string;
  floating_ip_address: string;
  fixed_ip_address: string | null;
  port_id: string | null;
  project_id?: string;
}

/** One rule of a QoS policy (only the rule types the controller translates). */
export interface NeutronQosRule {
  type: string;
  max_kbps?: number;
  max_burst_kbps?: number;
  max_kpps?: number;
  max_burst_kpps?: number;
  direction?: 'ingress' | 'egress';
}

/** A QoS policy (`GET /v2.0/qos/policies`). */
export interface NeutronQosPolicy {
  id: string;
  name?: string;
  rules: NeutronQosRule[];
}

/** A Keystone project (`GET /v3/projects`), for the project name and parent labels. */
export interface KeystoneProject {
  id: string;
  name: string;
  parent_id: string | null;
}

/** Filters for listing ports; every given filter must hold. */
export interface PortFilter {
  ids?: readonly string[];
  networkIds?: readonly string[];
  hostId?: string;
}

/**
 * Read access to Neutron's state (its REST API in production, a fake in unit tests).
 * `get*` resolve undefined when the object does not exist (404).
 */
export interface NeutronReader {
  listPorts(filter?: PortFilter): Promise<NeutronPort[]>;
  getPort(id: string): Promise<NeutronPort | undefined>;
  listNetworks(ids?: readonly string[]): Promise<NeutronNetwork[]>;
  getNetwork(id: string): Promise<NeutronNetwork | undefined>;
  listSubnets(ids?: readonly string[]): Promise<NeutronSubnet[]>;
  getSubnet(id: string): Promise<NeutronSubnet | undefined>;
  /** Security groups with their embedded rules. */
  listSecurityGroups(ids?: readonly string[]): Promise<NeutronSecurityGroup[]>;
  getSecurityGroup(id: string): Promise<NeutronSecurityGroup | undefined>;
  listFloatingIps(filter?: { portIds?: readonly string[] }): Promise<NeutronFloatingIp[]>;
  listQosPolicies(ids?: readonly string[]): Promise<NeutronQosPolicy[]>;
  /** Keystone projects; resolves [] without Keystone (noauth deployments). */
  listProjects(): Promise<KeystoneProject[]>;
}

/** One Neutron notification as oslo.messaging delivers it (`port.create.end` and friends). */
export interface NeutronNotification {
  eventType: string;
  payload: Record<string, unknown>;
  /** oslo's `timestamp` (`2026-11-21 13:03:41.349048`, UTC). */
  timestamp: string;
  messageId: string;
  /** `performance.now()` when the message arrived, for latency measurements. */
  receivedAt: number;
}

/** A stream of Neutron notifications (RabbitMQ in production). */
export interface NotificationSource {
  /** Starts consuming; `onEvent` is called in arrival order. Resolves once consuming. */
  start(onEvent: (notification: NeutronNotification) => void): Promise<void>;
  close(): Promise<void>;
}

/** The agent type under which compute hosts appear in Neutron's agent list. */
export const FELIX_AGENT_TYPE = 'Calico per-host agent (felix)';
/** The agent binary reported with it. */
export const FELIX_AGENT_BINARY = 'calico-felix';

/**
 * Neutron's agent RPC as the controller uses it on behalf of the compute hosts
 * (oslo.messaging over RabbitMQ in production).
 */
export interface NeutronAgentRpc {
  /** `report_state` for the host's agent (type FELIX_AGENT_TYPE); `startFlag` on its first report. */
  reportState(host: string, startFlag: boolean): Promise<void>;
  /** `update_device_up`: the port is programmed on `host` (Neutron sets it ACTIVE). */
  deviceUp(portId: string, host: string): Promise<void>;
  /** `update_device_down`: the port is not (Neutron sets it DOWN). */
  deviceDown(portId: string, host: string): Promise<void>;
  close(): Promise<void>;
}
