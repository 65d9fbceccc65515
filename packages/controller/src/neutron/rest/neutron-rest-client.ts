/**
 * The controller's NeutronReader in production: Neutron's v2.0 REST API over fetch, under noauth
 * or with a Keystone v3 password token. Lists page with `limit`/`marker` by following Neutron's
 * `*_links`, split long `id=` filters into parallel requests, and ask only for the fields the
 * controller reads where Neutron's projection is plain.
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
} from '../types.ts';
import { KeystoneAuth, type EndpointSelector, type KeystonePasswordCredentials } from './keystone-auth.ts';
import { NeutronApiError } from './neutron-api-error.ts';
import { displayPath, OpenStackHttp, serviceErrorOf, type JsonResponse, type OpenStackHttpOptions } from './openstack-http.ts';

/** How the client authenticates. */
export type NeutronAuth =
  | {
      /** Neutron with `auth_strategy = noauth`: any token is accepted, every request is admin. */
      type: 'noauth';
    }
  | ({ type: 'password' } & KeystonePasswordCredentials & EndpointSelector);

/** Options of a NeutronRestClient. */
export interface NeutronRestClientOptions extends OpenStackHttpOptions {
  /**
   * Neutron's endpoint (`http://controller:9696`, a trailing `/v2.0` is accepted). Required under
   * noauth; with Keystone it defaults to the catalog's `network` endpoint.
   */
  url?: string;
  auth: NeutronAuth;
  /**
   * Items per page (`limit`); Neutron may cap it with `pagination_max_limit` (default 2000). Every
   * page is one more sorted, marker-seeked query: 3,013 ports cost neutron-server 2.0–2.9 s of CPU
   * in one page or in pages of 500–2,000 (within noise), 4.6 s in pages of 100.
   */
  pageSize?: number;
  /** Values of one multi-valued filter (`id=…`) per request, so URLs stay short (default 100). */
  maxFilterValues?: number;
  /** Requests one listing runs at a time when a filter is split (default 4). */
  concurrency?: number;
  /** Ask for the fields the controller reads only (default true). */
  projectFields?: boolean;
  /**
   * Run a port listing that names no ports or networks as this many parallel listings, each over a
   * share of the networks (default 1: one listing). Listing ports costs neutron-server about 1 ms
   * of CPU per port in one process, so shares can spread it over several API workers; measured on
   * the 2-core lab (3,013 ports, 2 API workers) the wall time stayed within noise (1.6–2.5 s), so
   * it is off unless a deployment with more cores shows a gain.
   */
  portShards?: number;
}

// The fields the controller reads (types.ts). Neutron builds every object whole and then drops
// the fields not asked for, so projection saves response bytes, not Neutron's CPU. It is used only
// for flat objects: security groups and QoS policies embed their rules, which `fields=` cannot
// narrow, so they are read whole.
const PORT_FIELDS = [
  'id', 'name', 'network_id', 'project_id', 'tenant_id', 'mac_address', 'admin_state_up', 'status', 'fixed_ips',
  'security_groups', 'device_id', 'device_owner', 'binding:host_id', 'binding:vif_type', 'binding:profile',
  'allowed_address_pairs', 'port_security_enabled', 'dns_assignment', 'qos_policy_id', 'qos_network_policy_id',
  'revision_number', 'updated_at',
];
const NETWORK_FIELDS = ['id', 'name', 'project_id', 'tenant_id', 'subnets', 'qos_policy_id'];
const SUBNET_FIELDS = [
  'id', 'name', 'network_id', 'project_id', 'tenant_id', 'ip_version', 'cidr', 'gateway_ip', 'enable_dhcp',
  'dns_nameservers', 'host_routes', 'ipv6_ra_mode', 'ipv6_address_mode',
];
const FLOATING_IP_FIELDS = ['id', 'floating_ip_address', 'fixed_ip_address', 'port_id', 'project_id', 'tenant_id'];

interface Collection {
  /** URL path under /v2.0. */
  path: string;
  /** Key of the list in the body (`ports`); the page links are under `<key>_links`. */
  key: string;
  /** Key of one object in a show response (`port`). */
  one: string;
  fields?: readonly string[];
  /** The collection belongs to an extension that may not be loaded: 404 lists nothing. */
  optional?: boolean;
}

const PORTS: Collection = { path: 'ports', key: 'ports', one: 'port', fields: PORT_FIELDS };
const NETWORKS: Collection = { path: 'networks', key: 'networks', one: 'network', fields: NETWORK_FIELDS };
const SUBNETS: Collection = { path: 'subnets', key: 'subnets', one: 'subnet', fields: SUBNET_FIELDS };
const SECURITY_GROUPS: Collection = { path: 'security-groups', key: 'security_groups', one: 'security_group' };
const FLOATING_IPS: Collection = { path: 'floatingips', key: 'floatingips', one: 'floatingip', fields: FLOATING_IP_FIELDS, optional: true };
const QOS_POLICIES: Collection = { path: 'qos/policies', key: 'policies', one: 'policy', optional: true };

/** A filter with many values, sent as repeated query parameters and split across requests. */
interface MultiFilter {
  name: string;
  values: readonly string[];
}

/** Reads Neutron's state over its REST API. */
export class NeutronRestClient implements NeutronReader {
  readonly #http: OpenStackHttp;
  readonly #keystone: KeystoneAuth | undefined;
  readonly #endpointSelector: EndpointSelector;
  readonly #pageSize: number;
  readonly #maxFilterValues: number;
  readonly #concurrency: number;
  readonly #projectFields: boolean;
  readonly #portShards: number;
  #base: Promise<string> | undefined;

  constructor(options: NeutronRestClientOptions) {
    this.#http = new OpenStackHttp(options);
    this.#pageSize = options.pageSize ?? 2000;
    this.#maxFilterValues = options.maxFilterValues ?? 100;
    this.#concurrency = options.concurrency ?? 4;
    this.#projectFields = options.projectFields ?? true;
    this.#portShards = options.portShards ?? 1;
    const counts = { pageSize: this.#pageSize, maxFilterValues: this.#maxFilterValues, concurrency: this.#concurrency, portShards: this.#portShards };
    const bad = Object.entries(counts).filter(([, v]) => !(Number.isInteger(v) && v >= 1));
    if (bad.length > 0) {
      throw new RangeError(`Invalid Neutron client options: ${bad.map(([k, v]) => `${k} ${v}`).join(', ')} must be a whole number of at least 1`);
    }
    const auth = options.auth;
    if (auth.type === 'password') {
      this.#keystone = new KeystoneAuth(auth, this.#http);
      this.#endpointSelector = { interface: auth.interface, region: auth.region };
    } else {
      if (options.url === undefined) throw new TypeError('Neutron client options: "url" is required with noauth');
      this.#keystone = undefined;
      this.#endpointSelector = {};
    }
    if (options.url !== undefined) this.#base = Promise.resolve(neutronBaseUrl(options.url));
  }

  /** Ports matching every given filter (an empty `ids` or `networkIds` matches nothing). */
  listPorts(filter: PortFilter = {}): Promise<NeutronPort[]> {
    const multi: MultiFilter[] = [];
    if (filter.ids) multi.push({ name: 'id', values: filter.ids });
    if (filter.networkIds) multi.push({ name: 'network_id', values: filter.networkIds });
    const fixed: [string, string][] = filter.hostId === undefined ? [] : [['binding:host_id', filter.hostId]];
    if (multi.length === 0 && this.#portShards > 1) return this.#listPortsSharded(fixed);
    return this.#list<NeutronPort>(PORTS, fixed, multi);
  }

  /**
   * Ports listed per share of the networks, in parallel. A port never changes network, so the
   * shares are disjoint and complete for the networks listed first; networks created meanwhile are
   * found by listing networks again afterwards, so the result misses nothing a single listing
   * started at the same moment would have seen.
   */
  async #listPortsSharded(fixed: [string, string][]): Promise<NeutronPort[]> {
    const networkIds = async () => (await this.#listPaged<{ id: string }>(NETWORKS, [['fields', 'id']])).map((n) => n.id);
    const before = await networkIds();
    const shares = Array.from({ length: Math.min(this.#portShards, before.length) }, (_, i) => before.filter((_id, j) => j % this.#portShards === i));
    const lists = await mapLimit(shares, this.#portShards, (ids) => this.#list<NeutronPort>(PORTS, fixed, [{ name: 'network_id', values: ids }]));
    const known = new Set(before);
    const late = (await networkIds()).filter((id) => !known.has(id));
    if (late.length > 0) lists.push(await this.#list<NeutronPort>(PORTS, fixed, [{ name: 'network_id', values: late }]));
    return lists.flat();
  }

  getPort(id: string): Promise<NeutronPort | undefined> {
    return this.#show<NeutronPort>(PORTS, id);
  }

  listNetworks(ids?: readonly string[]): Promise<NeutronNetwork[]> {
    return this.#list<NeutronNetwork>(NETWORKS, [], ids ? [{ name: 'id', values: ids }] : []);
  }

  getNetwork(id: string): Promise<NeutronNetwork | undefined> {
    return this.#show<NeutronNetwork>(NETWORKS, id);
  }

  listSubnets(ids?: readonly string[]): Promise<NeutronSubnet[]> {
    return this.#list<NeutronSubnet>(SUBNETS, [], ids ? [{ name: 'id', values: ids }] : []);
  }

  getSubnet(id: string): Promise<NeutronSubnet | undefined> {
    return this.#show<NeutronSubnet>(SUBNETS, id);
  }

  listSecurityGroups(ids?: readonly string[]): Promise<NeutronSecurityGroup[]> {
    return this.#list<NeutronSecurityGroup>(SECURITY_GROUPS, [], ids ? [{ name: 'id', values: ids }] : []);
  }

  getSecurityGroup(id: string): Promise<NeutronSecurityGroup | undefined> {
    return this.#show<NeutronSecurityGroup>(SECURITY_GROUPS, id);
  }

  /** Floating IPs, all or those on the given ports; [] when Neutron has no L3 (router) plugin. */
  listFloatingIps(filter: { portIds?: readonly string[] } = {}): Promise<NeutronFloatingIp[]> {
    return this.#list<NeutronFloatingIp>(FLOATING_IPS, [], filter.portIds ? [{ name: 'port_id', values: filter.portIds }] : []);
  }

  /** QoS policies with their rules; [] when Neutron has no QoS plugin. */
  listQosPolicies(ids?: readonly string[]): Promise<NeutronQosPolicy[]> {
    return this.#list<NeutronQosPolicy>(QOS_POLICIES, [], ids ? [{ name: 'id', values: ids }] : []);
  }

  /** Keystone's projects; [] under noauth. */
  async listProjects(): Promise<KeystoneProject[]> {
    return this.#keystone ? this.#keystone.listProjects() : [];
  }

  async #list<T>(collection: Collection, fixed: [string, string][], multi: MultiFilter[]): Promise<T[]> {
    const params: [string, string][] = [...fixed];
    if (this.#projectFields && collection.fields) for (const f of collection.fields) params.push(['fields', f]);
    // Split every multi-valued filter into chunks; one listing per combination of chunks.
    let queries: [string, string][][] = [params];
    for (const filter of multi) {
      const values = [...new Set(filter.values)];
      if (values.length === 0) return [];
      const chunks: string[][] = [];
      for (let i = 0; i < values.length; i += this.#maxFilterValues) chunks.push(values.slice(i, i + this.#maxFilterValues));
      queries = queries.flatMap((q) => chunks.map((chunk) => [...q, ...chunk.map((v): [string, string] => [filter.name, v])]));
    }
    if (queries.length === 1) return this.#listPaged<T>(collection, queries[0]!);
    // The chunks of a filter are disjoint, so each object comes back from exactly one query.
    return (await mapLimit(queries, this.#concurrency, (q) => this.#listPaged<T>(collection, q))).flat();
  }

  async #listPaged<T>(collection: Collection, params: [string, string][]): Promise<T[]> {
    const base = await this.#baseUrl();
    const url = new URL(`${base}/v2.0/${collection.path}`);
    for (const [k, v] of params) url.searchParams.append(k, v);
    url.searchParams.set('limit', String(this.#pageSize));
    const items: T[] = [];
    const markers = new Set<string>();
    for (;;) {
      const res = await this.#send(url);
      if (res.status === 404 && collection.optional) return [];
      if (res.status !== 200) throw neutronFailure('GET', url, res);
      const body = res.body as Record<string, unknown> | undefined;
      const page = body?.[collection.key];
      if (!Array.isArray(page)) throw malformed(url, `the response has no ${JSON.stringify(collection.key)} array`);
      for (const item of page) items.push(item as T);
      // Neutron's `next` link repeats the query with the page's last id as marker; it is
      // re-rooted on our own endpoint because Neutron builds it from the Host it saw.
      const links = body?.[`${collection.key}_links`];
      const next = Array.isArray(links) ? (links as { rel?: string; href?: string }[]).find((l) => l.rel === 'next') : undefined;
      if (!next?.href || page.length === 0) return items;
      const search = new URL(next.href, url).searchParams;
      const marker = search.get('marker');
      if (!marker || markers.has(marker)) {
        throw malformed(url, `the next-page link ${JSON.stringify(next.href)} does not advance the marker`);
      }
      markers.add(marker);
      url.search = search.toString();
    }
  }

  async #show<T>(collection: Collection, id: string): Promise<T | undefined> {
    const url = new URL(`${await this.#baseUrl()}/v2.0/${collection.path}/${encodeURIComponent(id)}`);
    const res = await this.#send(url);
    if (res.status === 404) return undefined;
    if (res.status !== 200) throw neutronFailure('GET', url, res);
    const item = (res.body as Record<string, unknown> | undefined)?.[collection.one];
    if (!item || typeof item !== 'object') throw malformed(url, `the response has no ${JSON.stringify(collection.one)} object`);
    return item as T;
  }

  /** GET with the current token; a 401 under Keystone replaces the token and tries once more. */
  async #send(url: URL): Promise<JsonResponse> {
    for (let attempt = 0; ; attempt++) {
      const token = this.#keystone ? await this.#keystone.token() : 'noauth';
      const res = await this.#http.send({ service: 'neutron', method: 'GET', url, headers: { 'X-Auth-Token': token } });
      if (res.status === 401 && this.#keystone && attempt === 0) {
        this.#keystone.invalidate(token);
        continue;
      }
      return res;
    }
  }

  #baseUrl(): Promise<string> {
    if (!this.#base) {
      const keystone = this.#keystone!;
      this.#base = keystone.endpoint('network', this.#endpointSelector).then(neutronBaseUrl);
      // A failed catalog lookup is retried on the next call rather than cached.
      this.#base.catch(() => {
        this.#base = undefined;
      });
    }
    return this.#base;
  }
}

/** Neutron's endpoint without trailing slashes or `/v2.0`. */
export function neutronBaseUrl(url: string): string {
  return url.trim().replace(/\/+$/, '').replace(/\/v2\.0$/, '');
}

function neutronFailure(method: string, url: URL, res: JsonResponse): NeutronApiError {
  const { type, message } = serviceErrorOf(res.body, res.text);
  return new NeutronApiError({ service: 'neutron', method, path: displayPath(url), status: res.status, errorType: type, detail: message || res.statusText, attempts: 1 });
}

function malformed(url: URL, detail: string): NeutronApiError {
  return new NeutronApiError({ service: 'neutron', method: 'GET', path: displayPath(url), status: 200, detail, attempts: 1 });
}

/** Runs `fn` over `items` with at most `limit` calls in flight; results keep the input order. */
async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      results[i] = await fn(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}
