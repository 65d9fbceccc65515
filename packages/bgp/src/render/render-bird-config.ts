/**
 * The BIRD 2 configuration of one host, rendered from the datastore (spec bgp.md §9–12): one
 * file for IPv4 and IPv6 with the kernel, device and direct protocols, pool-driven filters,
 * BGPFilter functions and one `protocol bgp` per peering. A pure function of its inputs: the
 * same state renders byte-identical text, so the daemon can skip reloads when nothing changed.
 *
 *   Node/BGPConfiguration/IPPool ─► bgp-model ─┐
 *   BGPPeer ─────────────────► compute-peerings ├─► this file ─► bird.conf
 *   BGPFilter ─────────────► bgp-filter-functions ┘
 * @module
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex } from '@noble/hashes/utils.js';
import type { Resource } from '@percale/api';
import { BgpConfigError } from './bgp-config-error.ts';
import { bgpFilterFunctionName, renderBgpFilterFunctions, type Direction } from './bgp-filter-functions.ts';
import {
  canonicalIPv4, readNodes, readPools, readSettings, type BgpPool, type BgpSettings, type Family, type SecretRef,
} from './bgp-model.ts';
import { computePeerings, type Peering } from './compute-peerings.ts';

/** The datastore state one host's BIRD configuration is rendered from. */
export interface BgpInputs {
  /** This host (`NODENAME`, the agent's `FelixHostname`): the Node resource of that name. */
  readonly nodeName: string;
  /** All Node resources. */
  readonly nodes: readonly Resource[];
  /** All BGPPeer resources. */
  readonly peers: readonly Resource[];
  /** All IPPool resources. */
  readonly pools: readonly Resource[];
  /** BGPConfiguration resources: `default` and any `node.<name>`. */
  readonly configurations: readonly Resource[];
  /** All BGPFilter resources. */
  readonly filters: readonly Resource[];
  /**
   * `CALICO_ROUTER_ID` semantics: `hash` (an IPv4-shaped id hashed from the node name), an
   * IPv4 address, or undefined for the node's IPv4 BGP address.
   */
  readonly routerId?: string | undefined;
  /**
   * Resolves a BGP password reference (BGPPeer `password.secretKeyRef`, BGPConfiguration
   * `nodeMeshPassword.secretKeyRef`). Percale has no Kubernetes Secrets: the daemon reads
   * `<secret name>/<key>` under its secrets directory. Must be pure for the render to be.
   * Without it, or when it returns undefined, the session gets no password and a warning.
   */
  readonly secret?: ((ref: SecretRef) => string | undefined) | undefined;
}

/** A rendered configuration with what the renderer had to leave out. */
export interface RenderedBirdConfig {
  /** The BIRD 2 configuration file. */
  readonly text: string;
  /** The sessions it configures, in file order. */
  readonly peerings: readonly Peering[];
  /** Parts of the datastore state that could not be rendered (already left out). */
  readonly warnings: readonly string[];
}

const MAX_PRIORITY = 2147483647;
/** The kernel route protocol of the agent's cluster routes (Felix's, 80); BIRD reads it as `krt_source`. */
const AGENT_CLUSTER_ROUTE_PROTOCOL = 80;
const utf8 = new TextEncoder();

/**
 * Renders BIRD 2 configuration text for `inputs.nodeName`.
 * @throws {BgpConfigError} when this host has no Node resource, no BGP address, or no usable router id
 */
export function renderBirdConfig(inputs: BgpInputs): string {
  return renderBird(inputs).text;
}

/**
 * Renders the configuration and reports the sessions and any warnings.
 * @throws {BgpConfigError} as {@link renderBirdConfig}
 */
export function renderBird(inputs: BgpInputs): RenderedBirdConfig {
  const nodes = readNodes(inputs.nodes);
  const self = nodes.find((n) => n.name === inputs.nodeName);
  const where = `Node(${inputs.nodeName})`;
  if (!self) throw new BgpConfigError(where, `cannot render BGP configuration: no Node resource named "${inputs.nodeName}"`);
  if (!self.ipv4 && !self.ipv6) {
    throw new BgpConfigError(`${where}.spec.bgp`, `cannot render BGP configuration: Node "${inputs.nodeName}" has no BGP address (spec.bgp.ipv4Address or spec.bgp.ipv6Address)`);
  }
  const routerId = resolveRouterId(inputs.routerId, inputs.nodeName, self.ipv4);
  const settings = readSettings(inputs.configurations, inputs.nodeName);
  const pools = readPools(inputs.pools);
  const peerings = computePeerings({ self, nodes, peers: inputs.peers, settings });
  const warnings: string[] = [...(settings.warnings ?? [])];
  const localAS = self.asNumber ?? settings.asNumber;
  if (settings.ipipRoutesRequested && pools.some((p) => p.encapsulation === 'ipip')) {
    warnings.push('BGPConfiguration(default).spec.programClusterRoutes asks BIRD to program IPIP routes, which BIRD 2 cannot do (no krt_tunnel): the agent must own them');
  }

  const functions = renderBgpFilterFunctions(inputs.filters, [4, 6]);
  warnings.push(...functions.warnings);
  const filterNames = new Set(inputs.filters.map((f) => f.metadata.name ?? ''));

  const out: string[] = [];
  const line = (...text: string[]) => out.push(...text);

  line(
    `# BIRD 2 configuration of node "${inputs.nodeName}", rendered by Percale from the Calico datastore.`,
    '# It is rewritten on every relevant datastore change: do not edit it by hand.',
    '',
    `router id ${routerId};`,
    '',
  );

  for (const family of [4, 6] as const) {
    line(...poolFunctions(family, pools, settings), '');
  }

  line('# --- BGPFilter functions ---');
  line(functions.text.trimEnd() || '# No BGPFilters configured', '');

  // §12: named filters shared by all peers instead of an inline copy per peer.
  const named = new Map<string, string[]>();
  const namedFilter = (family: Family, direction: Direction, internal: boolean, filters: readonly string[]): string => {
    const calls = filters
      .map((f) => bgpFilterFunctionName(f, direction, family))
      .filter((fn) => functions.defined.has(fn));
    const base = `calico_${direction}${direction === 'export' ? (internal ? '_ibgp' : '_ebgp') : ''}${family === 6 ? '6' : ''}`;
    const name = calls.length === 0 ? base : `${base}_${shortHash(`${internal}|${calls.join(',')}`)}`;
    if (!named.has(name)) named.set(name, namedFilterBody(name, family, direction, internal, calls, filters, settings));
    return name;
  };
  // The template filters always exist, so the template can refer to them.
  for (const family of [4, 6] as const) {
    namedFilter(family, 'import', true, []);
    namedFilter(family, 'export', true, []);
  }
  const peerBlocks: string[] = [];
  for (const p of peerings) {
    for (const f of p.filters) {
      if (!filterNames.has(f)) warnings.push(`BGP session ${p.name}: BGPFilter "${f}" does not exist; the session runs without it`);
    }
    const importFilter = namedFilter(p.family, 'import', p.internal, p.filters);
    const exportFilter = namedFilter(p.family, 'export', p.internal, p.filters);
    peerBlocks.push(...peerProtocol(p, importFilter, exportFilter, settings.bindNodeIP, inputs, warnings), '');
  }
  line('# --- import and export filters of the BGP sessions ---');
  for (const name of [...named.keys()].sort()) line(...named.get(name)!, '');

  line(...kernelProtocols(settings));
  line(...staticRoutes(peerings));
  line(...templates(settings, localAS));

  if (!peerings.length) line('# No BGP peers for this node.', '');
  line(...peerBlocks);
  return { text: `${out.join('\n').trimEnd()}\n`, peerings, warnings };
}

/** Calico's `hash` router id: the first 4 bytes of SHA-256(node name), kept out of 224.0.0.0/3. */
export function hashRouterId(nodeName: string): string {
  const bytes = sha256(utf8.encode(nodeName));
  const first = bytes[0]! > 223 ? bytes[0]! - 32 : bytes[0]!;
  return [first, bytes[1], bytes[2], bytes[3]].join('.');
}

function resolveRouterId(requested: string | undefined, nodeName: string, ipv4: string | undefined): string {
  if (requested === 'hash') return hashRouterId(nodeName);
  if (requested) {
    const id = canonicalIPv4(requested);
    if (!id) throw new BgpConfigError('CALICO_ROUTER_ID', `invalid router id "${requested}": expected "hash" or an IPv4 address`);
    return id;
  }
  if (!ipv4) {
    throw new BgpConfigError(`Node(${nodeName}).spec.bgp.ipv4Address`, `cannot choose a BGP router id: Node "${nodeName}" has no IPv4 BGP address; set CALICO_ROUTER_ID to "hash" or an IPv4 address`);
  }
  return ipv4;
}

const shortHash = (text: string) => bytesToHex(sha256(utf8.encode(text))).slice(0, 8);

const suffix = (family: Family) => (family === 6 ? '6' : '');

/** `apply_communities`, `calico_export_to_bgp_peers` and `calico_kernel_programming` of one family. */
function poolFunctions(family: Family, allPools: readonly BgpPool[], settings: BgpSettings): string[] {
  const pools = allPools.filter((p) => p.family === family);
  const s = suffix(family);
  const priority = settings.routePriority[family];
  const out = [`# --- IPv${family}: prefix communities and IP pool filters ---`, `function apply_communities${s}()`, '{'];
  for (const pa of settings.prefixAdvertisements.filter((a) => a.family === family)) {
    out.push(`  if (net ~ ${pa.cidr}) then {`);
    for (const c of pa.communities) {
      out.push(`    ${c.length === 3 ? 'bgp_large_community' : 'bgp_community'}.add((${c.join(', ')}));`);
    }
    out.push('  }');
  }
  out.push(
    '}',
    '',
    '# Routes this node announces: VM routes inside an IP pool that allows BGP export. No IPAM',
    '# blocks exist on OpenStack, so there is no block aggregation (calico_aggr) step.',
    `function calico_export_to_bgp_peers${s}(bool internal_peer)`,
    '{',
  );
  for (const p of pools.filter((x) => x.disableBGPExport)) out.push(`  if (net ~ ${p.cidr}) then { reject; }   # pool has disableBGPExport`);
  out.push(
    `  # The agent's routes to other hosts' VMs (VXLAN, and CrossSubnet same-subnet routes via the`,
    `  # remote host) carry protocol ${AGENT_CLUSTER_ROUTE_PROTOCOL} and a gateway; "learn" takes them in like any alien`,
    '  # route. They belong to another node, which announces them itself: never to any peer. A',
    `  # local VM route has no gateway (gw = ::), so it is announced even with DeviceRouteProtocol ${AGENT_CLUSTER_ROUTE_PROTOCOL}.`,
    '  if (defined(krt_source)) then {',
    `    if ((krt_source = ${AGENT_CLUSTER_ROUTE_PROTOCOL}) && (gw != ::)) then { reject; }`,
    '  }',
    '  if (internal_peer) then {',
    '    # Routes the agent programs through tunnel devices belong to other nodes: never re-announce them.',
    '    if (defined(ifname)) then {',
    '      if ((ifname ~ "*.cali") || (ifname ~ "*.calico") || (ifname ~ "tunl0")) then { reject; }',
    '    }',
    '  }',
    '  if (defined(ifname)) then {',
    '    if (ifname ~ "bpf*.cali") then { reject; }',
    '  }',
    `  apply_communities${s}();`,
  );
  for (const p of pools.filter((x) => !x.disableBGPExport)) out.push(`  if (net ~ ${p.cidr}) then { accept; }`);
  out.push(
    '}',
    '',
    '# Routes BIRD writes into the kernel. Connected routes are the kernel\'s own; VXLAN and IPIP',
    '# pool routes belong to the agent, which programs them through its tunnel device.',
    `filter calico_kernel_programming${s}`,
    '{',
    '  if (source = RTS_DEVICE) then reject;',
    '  if ((source = RTS_BGP) && !defined(krt_metric)) then {',
    `    krt_metric = ${priority};`,
    `    if (defined(bgp_local_pref)) then { krt_metric = ${MAX_PRIORITY} - bgp_local_pref; }`,
    `    if (krt_metric < ${priority}) then { preference = 200; }`,
    '  }',
  );
  for (const p of pools) {
    const birdOwns = p.encapsulation === 'none' && settings.birdProgramsNoEncapRoutes;
    const why = p.encapsulation === 'none' ? (birdOwns ? 'no encapsulation: BIRD programs remote VM routes' : 'programClusterRoutes: the agent programs them')
      : `${p.encapsulation === 'vxlan' ? 'VXLAN' : 'IPIP'} pool: the agent programs these routes`;
    out.push(`  if (net ~ ${p.cidr}) then { ${birdOwns ? 'accept' : 'reject'}; }   # ${why}`);
  }
  out.push('  accept;', '}');
  return out;
}

function namedFilterBody(
  name: string, family: Family, direction: Direction, internal: boolean,
  calls: readonly string[], filters: readonly string[], settings: BgpSettings,
): string[] {
  const s = suffix(family);
  const priority = settings.routePriority[family];
  const out = [`filter ${name}`, '{'];
  if (calls.length) out.splice(0, 0, `# BGPFilters ${filters.join(', ')} (IPv${family} ${direction}, ${internal ? 'iBGP' : 'eBGP'} peers)`);
  if (direction === 'export') {
    // Carries a raised route priority (lower metric, used while a VM live-migrates) to iBGP
    // peers as a higher local preference, and back into a metric on the receiving side.
    out.push(
      '  if ((source = RTS_BGP) && defined(bgp_local_pref)) then {',
      `    krt_metric = ${MAX_PRIORITY} - bgp_local_pref;`,
      '  } else {',
      `    if (!defined(krt_metric)) then { krt_metric = ${priority}; }`,
      `    bgp_local_pref = ${MAX_PRIORITY} - krt_metric;`,
      '  }',
    );
  }
  for (const fn of calls) out.push(`  ${fn}(${internal});`);
  if (direction === 'import') {
    out.push(
      `  if (defined(bgp_local_pref) && (bgp_local_pref > ${MAX_PRIORITY - priority})) then preference = 200;`,
      '  accept;',
    );
  } else {
    out.push(`  calico_export_to_bgp_peers${s}(${internal});`, '  reject;');
  }
  out.push('}');
  return out;
}

function kernelProtocols(settings: BgpSettings): string[] {
  const out = [
    '# --- kernel, device and direct protocols ---',
    '# learn: take in the agent\'s routes to local VMs (dev tapX, proto boot/static) to announce them;',
    '# BIRD ignores routes with proto kernel unless "learn all", and never needs them.',
    '# persist + graceful restart: kernel routes survive a BIRD stop, and with "bird -R" are not',
    '# pruned until BGP recovery ends. metric 0: install each route with its own krt_metric',
    '# (BIRD 2\'s default "metric 32" would override it).',
  ];
  for (const family of [4, 6] as const) {
    out.push(
      `protocol kernel kernel${family} {`,
      '  learn;',
      '  persist on;',
      '  scan time 2;',
      '  graceful restart on;',
      '  merge paths on;',
      '  metric 0;',
      `  ipv${family} {`,
      '    import all;',
      `    export filter calico_kernel_programming${suffix(family)};`,
      '  };',
      '}',
      '',
    );
  }
  const debug = settings.logLevel === 'debug' ? ['  debug all;'] : settings.logLevel === 'info' ? ['  debug { states };'] : [];
  const interfaces = [...settings.ignoredInterfaces.map((i) => `-"${i}"`), '-"cali*"', '-"kube-ipvs*"', '"*"'];
  out.push(
    'protocol device {',
    ...debug,
    '  scan time 2;',
    '}',
    '',
    '# Connected subnets: BGP next hops resolve recursively through them (the main table has no',
    '# IGP), so a peer on the same subnet and one reached through a learned route both work.',
    'protocol direct {',
    ...debug,
    '  ipv4;',
    '  ipv6;',
    `  interface ${interfaces.join(', ')};`,
    '}',
    '',
  );
  return out;
}

/** Host routes to peers that are reachable only through a given gateway (`reachableBy`). */
function staticRoutes(peerings: readonly Peering[]): string[] {
  const out: string[] = [];
  for (const family of [4, 6] as const) {
    const routes = new Set(peerings.filter((p) => p.family === family && p.reachableBy).map((p) => `${p.address}/${family === 4 ? 32 : 128} via ${p.reachableBy}`));
    if (!routes.size) continue;
    out.push(`protocol static static${family} {`, `  ipv${family};`, ...[...routes].sort().map((r) => `  route ${r};`), '}', '');
  }
  return out;
}

function templates(settings: BgpSettings, localAS: number): string[] {
  const debug = settings.logLevel === 'debug' ? ['  debug all;'] : settings.logLevel === 'info' ? ['  debug { states, routes, filters, events };'] : [];
  const local = settings.listenPort ? `local port ${settings.listenPort} as ${localAS}` : `local as ${localAS}`;
  const out = [
    '# --- BGP ---',
    '# gateway recursive: next hops resolve through the direct protocol\'s connected routes (same',
    '# subnet) or learned kernel routes (other subnets); "gateway direct" would need every peer on',
    '# a shared subnet. Sessions are multihop so peers need not be one hop away.',
  ];
  for (const family of [4, 6] as const) {
    const s = suffix(family);
    out.push(
      `template bgp bgp_template${s} {`,
      ...debug,
      '  description "Connection to BGP peer";',
      `  ${local};`,
      '  graceful restart on;',
      '  connect delay time 2;',
      '  connect retry time 5;',
      '  error wait time 5, 30;',
      `  ipv${family} {`,
      '    gateway recursive;',
      '    add paths on;',
      `    import filter calico_import${s};`,
      `    export filter calico_export_ibgp${s};`,
      '  };',
      '}',
      '',
    );
  }
  return out;
}

/** A BIRD string literal; BIRD has no escapes, so text with `"`, `\` or a newline cannot be one. */
function birdString(text: string): string | undefined {
  return /["\\\n\r]/.test(text) ? undefined : `"${text}"`;
}

function peerProtocol(
  p: Peering, importFilter: string, exportFilter: string, bindNodeIP: boolean, inputs: BgpInputs, warnings: string[],
): string[] {
  const s = suffix(p.family);
  const out = [`protocol bgp ${p.name} from bgp_template${s} {`];
  out.push(`  neighbor ${p.address}${p.port ? ` port ${p.port}` : ''} as ${p.asNumber};`);
  if (p.localASNumber !== undefined) out.push(`  local as ${p.localASNumber};`);
  if (p.sourceAddress) out.push(`  source address ${p.sourceAddress};`);
  // bindMode NodeIP: BIRD 2 has no global listen address; each session binds its own socket.
  if (bindNodeIP && p.sourceAddress) out.push('  strict bind on;');
  if (p.ttlSecurity) out.push('  ttl security on;', `  multihop ${p.ttlSecurity};`);
  else out.push('  ttl security off;', '  multihop;');
  if (p.passive) out.push('  passive on;');
  if (p.rrClusterId) out.push('  rr client;', `  rr cluster id ${p.rrClusterId};`);
  if (p.password) {
    const secret = inputs.secret?.(p.password);
    const literal = secret === undefined ? undefined : birdString(secret);
    if (literal) out.push(`  password ${literal};`);
    else {
      warnings.push(`BGP session ${p.name}: password secret "${p.password.name}" key "${p.password.key}" ${secret === undefined ? 'is not available' : 'contains a quote, backslash or newline'}; the session has no password`);
    }
  }
  if (p.restartTime) out.push(`  graceful restart time ${p.restartTime};`);
  if (p.keepaliveTime) {
    // BIRD refuses a keepalive longer than the hold time (default 240 s).
    const keepalive = Math.min(p.keepaliveTime, 21845);
    out.push(`  keepalive time ${keepalive};`);
    if (keepalive * 3 > 240) out.push(`  hold time ${keepalive * 3};`);
  }
  if (p.numAllowedLocalAS) out.push(`  allow local as ${p.numAllowedLocalAS};`);
  const channel: string[] = [];
  if (importFilter !== `calico_import${s}`) channel.push(`    import filter ${importFilter};`);
  if (exportFilter !== `calico_export_ibgp${s}`) channel.push(`    export filter ${exportFilter};`);
  if (p.nextHop) channel.push(`    next hop ${p.nextHop};`);
  if (channel.length) out.push(`  ipv${p.family} {`, ...channel, '  };');
  out.push('}');
  return out;
}

