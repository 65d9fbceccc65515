/**
 * An in-memory `NeutronReader` for the sync engine's unit tests and the resync benchmark: the
 * objects live in maps the test edits directly, reads return copies (as REST would), and
 * every call is counted so tests can check what the engine asked Neutron.
 * @module
 */
import type {
  KeystoneProject,
  NeutronFloatingIp,
  NeutronNetwork,
  NeutronPort,
  NeutronQosPolicy,
  NeutronReader,
  NeutronSecurityGroup,
  NeutronSubnet,
  PortFilter,
} from '../../neutron/types.ts';

const copy = <T>(v: T): T => structuredClone(v);

function pick<T extends { id: string }>(map: Map<string, T>, ids?: readonly string[]): T[] {
  if (ids === undefined) return [...map.values()].map(copy);
  const out: T[] = [];
  for (const id of ids) {
    const v = map.get(id);
    if (v) out.push(copy(v));
  }
  return out;
}

/** Neutron's state in maps, readable through `NeutronReader`. */
export class FakeNeutron implements NeutronReader {
  readonly ports = new Map<string, NeutronPort>();
  readonly networks = new Map<string, NeutronNetwork>();
  readonly subnets = new Map<string, NeutronSubnet>();
  readonly securityGroups = new Map<string, NeutronSecurityGroup>();
  readonly floatingIps = new Map<string, NeutronFloatingIp>();
  readonly qosPolicies = new Map<string, NeutronQosPolicy>();
  readonly projects = new Map<string, KeystoneProject>();
  /** Calls per method name. */
  readonly calls = new Map<string, number>();
  /** When set, every read waits this long first (simulated API latency). */
  delayMs = 0;
  /** Skip the defensive copies (benchmarks: the engine does not modify what it reads). */
  shareObjects = false;

  async #enter(method: string): Promise<void> {
    this.calls.set(method, (this.calls.get(method) ?? 0) + 1);
    if (this.delayMs > 0) await new Promise((r) => setTimeout(r, this.delayMs));
  }

  #out<T>(v: T): T {
    return this.shareObjects ? v : copy(v);
  }

  async listPorts(filter: PortFilter = {}): Promise<NeutronPort[]> {
    await this.#enter('listPorts');
    const ids = filter.ids && new Set(filter.ids);
    const nets = filter.networkIds && new Set(filter.networkIds);
    const out: NeutronPort[] = [];
    for (const p of this.ports.values()) {
      if (ids && !ids.has(p.id)) continue;
      if (nets && !nets.has(p.network_id)) continue;
      if (filter.hostId !== undefined && p['binding:host_id'] !== filter.hostId) continue;
      out.push(this.#out(p));
    }
    return out;
  }

  async getPort(id: string): Promise<NeutronPort | undefined> {
    await this.#enter('getPort');
    const p = this.ports.get(id);
    return p && this.#out(p);
  }

  async listNetworks(ids?: readonly string[]): Promise<NeutronNetwork[]> {
    await this.#enter('listNetworks');
    return this.shareObjects && !ids ? [...this.networks.values()] : pick(this.networks, ids);
  }

  async getNetwork(id: string): Promise<NeutronNetwork | undefined> {
    await this.#enter('getNetwork');
    return pick(this.networks, [id])[0];
  }

  async listSubnets(ids?: readonly string[]): Promise<NeutronSubnet[]> {
    await this.#enter('listSubnets');
    return this.shareObjects && !ids ? [...this.subnets.values()] : pick(this.subnets, ids);
  }

  async getSubnet(id: string): Promise<NeutronSubnet | undefined> {
    await this.#enter('getSubnet');
    return pick(this.subnets, [id])[0];
  }

  async listSecurityGroups(ids?: readonly string[]): Promise<NeutronSecurityGroup[]> {
    await this.#enter('listSecurityGroups');
    return this.shareObjects && !ids ? [...this.securityGroups.values()] : pick(this.securityGroups, ids);
  }

  async getSecurityGroup(id: string): Promise<NeutronSecurityGroup | undefined> {
    await this.#enter('getSecurityGroup');
    return pick(this.securityGroups, [id])[0];
  }

  async listFloatingIps(filter: { portIds?: readonly string[] } = {}): Promise<NeutronFloatingIp[]> {
    await this.#enter('listFloatingIps');
    const ports = filter.portIds && new Set(filter.portIds);
    return [...this.floatingIps.values()].filter((f) => !ports || (f.port_id !== null && ports.has(f.port_id))).map((f) => this.#out(f));
  }

  async listQosPolicies(ids?: readonly string[]): Promise<NeutronQosPolicy[]> {
    await this.#enter('listQosPolicies');
    return pick(this.qosPolicies, ids);
  }

  async listProjects(): Promise<KeystoneProject[]> {
    await this.#enter('listProjects');
    return [...this.projects.values()].map(copy);
  }

  /** Total calls made so far. */
  get totalCalls(): number {
    let n = 0;
    for (const v of this.calls.values()) n += v;
    return n;
  }
}

/** A compute port with Neutron's defaults; override what the test cares about. */
export function makePort(overrides: Partial<NeutronPort> & Pick<NeutronPort, 'id'>): NeutronPort {
  return {
    name: '',
    network_id: 'net-1',
    project_id: 'proj-1',
    tenant_id: 'proj-1',
    mac_address: 'fa:16:3e:00:00:01',
    admin_state_up: true,
    status: 'DOWN',
    fixed_ips: [],
    security_groups: [],
    device_id: `vm-${overrides.id}`,
    device_owner: 'compute:nova',
    'binding:host_id': 'host-1',
    'binding:vif_type': 'tap',
    'binding:profile': {},
    allowed_address_pairs: [],
    ...overrides,
  };
}

/** A DHCP-enabled IPv4 subnet. */
export function makeSubnet(overrides: Partial<NeutronSubnet> & Pick<NeutronSubnet, 'id' | 'cidr'>): NeutronSubnet {
  return {
    name: '',
    network_id: 'net-1',
    ip_version: 4,
    gateway_ip: null,
    enable_dhcp: true,
    dns_nameservers: [],
    host_routes: [],
    ipv6_ra_mode: null,
    ipv6_address_mode: null,
    ...overrides,
  };
}
