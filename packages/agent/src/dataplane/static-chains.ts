/**
 * The fixed part of the table (agent-dataplane.md §5.3, §5.4, §5.11, §5.12 in one inet table):
 * base chains, anti-spoofing, workload-to-host special cases, dispatch with fail-closed
 * defaults, NAT hooks, and the sets and maps the per-endpoint and NAT managers fill.
 *
 *   prerouting raw ─ tap* ─▶ anti-spoof (iifname . saddr @wl-src/@wl-net) ─▶ drop unknown sources
 *   input ─ tap* ─▶ wl-to-host ─▶ ND/DHCP/DNS/metadata ─▶ from-wl-dispatch ─▶ default action
 *   forward ─ tap* in ─▶ from-wl-dispatch ─ vmap @from-wl ─▶ fw-<iface> │ else drop
 *           ─ tap* out ─▶ to-wl-dispatch ─ vmap @to-wl ─▶ tw-<iface>     │ else drop
 *   nat prerouting/output ─▶ floating-IP DNAT map, metadata DNAT
 *   nat postrouting ─▶ floating-IP hairpin SNAT map ─▶ nat-outgoing
 * @module
 */
import type { NftChain, NftSetSpec } from '../drivers/nftables/model.ts';
import { clearMark, type MarkBits } from './marks.ts';
import { ChainNames as C, SetNames as S } from './names.ts';
import type { DataplaneOptions } from './options.ts';

/** Hook priorities (nft lists numbers). */
export const Priority = { raw: -300, dstnat: -100, filter: 0, srcnat: 100 } as const;

const METADATA_IP = '169.254.169.254';

/** The families whose rules are rendered. */
export function familiesOf(options: DataplaneOptions): (4 | 6)[] {
  return options.ipv6Support ? [4, 6] : [4];
}

/** Sets and maps that always exist. */
export function staticSets(options: DataplaneOptions): NftSetSpec[] {
  const sets: NftSetSpec[] = [
    { name: S.toWlMap, type: ['ifname'], map: 'verdict' },
    { name: S.fromWlMap, type: ['ifname'], map: 'verdict' },
  ];
  for (const f of familiesOf(options)) {
    const addr = f === 4 ? 'ipv4_addr' : 'ipv6_addr';
    sets.push(
      // Single addresses in a hash set: deleting from a concatenated interval set (pipapo) costs
      // 2-3x more at a few thousand elements; prefixes (rare) get their own interval set.
      { name: S.workloadSources(f), type: ['ifname', addr] },
      { name: S.workloadNets(f), type: ['ifname', addr], interval: true },
      { name: S.fipDnat(f), type: [addr], map: addr },
      { name: S.fipSnat(f), type: [addr, addr], map: addr },
      { name: S.allPools(f), type: [addr], interval: true },
      { name: S.masqPools(f), type: [addr], interval: true },
    );
    if (options.natOutgoingExclusions === 'IPPoolsAndHostIPs') sets.push({ name: S.allHosts(f), type: [addr], interval: true });
  }
  return sets;
}

function perPrefix(options: DataplaneOptions, match: 'iifname' | 'oifname', stmt: string): NftChain['rules'] {
  return options.interfacePrefixes.map((p) => ({ body: `${match} "${p}*" ${stmt}` }));
}

/** Every static chain except `nat-outgoing` (which follows the IP pools). */
export function staticChains(options: DataplaneOptions, marks: MarkBits): NftChain[] {
  const v6 = options.ipv6Support;
  const os = options.openStackSpecialCases;
  const deny = options.filterDenyAction;
  const denyWord = deny === 'drop' ? 'Drop' : 'Reject';
  const ipv6Disabled = v6 ? [] : [{ body: `meta nfproto ipv6 counter ${deny}`, comment: 'IPv6 support is disabled' }];
  const chains: NftChain[] = [];

  chains.push({
    name: C.rawPrerouting,
    base: { type: 'filter', hook: 'prerouting', priority: Priority.raw, policy: 'accept' },
    rules: perPrefix(options, 'iifname', `jump ${C.antiSpoof}`),
  });
  chains.push({
    name: C.antiSpoof,
    comment: 'Workloads may only send from their own addresses',
    rules: [
      { body: `iifname . ip saddr @${S.workloadSources(4)} return` },
      { body: `iifname . ip saddr @${S.workloadNets(4)} return` },
      ...(v6 ? [{ body: `iifname . ip6 saddr @${S.workloadSources(6)} return` }, { body: `iifname . ip6 saddr @${S.workloadNets(6)} return` }] : []),
      // DHCP discovery has no source address yet.
      { body: 'ip saddr 0.0.0.0 udp sport 68 udp dport 67 return', comment: 'DHCPv4 discovery' },
      // Link-local sources carry neighbour discovery, MLD and DHCPv6; "::" is duplicate address detection.
      { body: 'ip6 saddr fe80::/10 return', comment: 'IPv6 link-local' },
      { body: 'ip6 saddr :: icmpv6 type nd-neighbor-solicit return', comment: 'IPv6 duplicate address detection' },
      { body: 'ip6 saddr :: icmpv6 type mld2-listener-report return', comment: 'MLD report before an address is assigned' },
      { body: 'counter drop', comment: 'Source address not allowed for this workload' },
    ],
  });

  chains.push({
    name: C.filterInput,
    base: { type: 'filter', hook: 'input', priority: Priority.filter, policy: 'accept' },
    rules: perPrefix(options, 'iifname', `goto ${C.wlToHost}`),
  });
  const toHost: NftChain['rules'][number][] = [
    // Neighbour discovery and MLD must work before (and regardless of) policy.
    { body: 'icmpv6 type { 130, 131, 132, 133, 135, 136 } counter accept', comment: 'IPv6 neighbour discovery and MLD' },
    ...ipv6Disabled,
  ];
  if (os) {
    if (options.metadataAddr !== undefined) {
      toHost.push({ body: `ip daddr ${options.metadataAddr} tcp dport ${options.metadataPort} counter accept`, comment: 'OpenStack metadata' });
    }
    toHost.push({ body: 'meta nfproto ipv4 udp sport 68 udp dport 67 counter accept', comment: 'DHCPv4' });
    if (v6) toHost.push({ body: 'meta nfproto ipv6 udp sport 546 udp dport 547 counter accept', comment: 'DHCPv6' });
    toHost.push({ body: 'udp dport 53 counter accept', comment: 'DNS' });
  }
  toHost.push({ body: `counter jump ${C.fromWlDispatch}` });
  toHost.push({ body: `counter ${options.defaultEndpointToHostAction}`, comment: 'Configured DefaultEndpointToHostAction' });
  chains.push({ name: C.wlToHost, rules: toHost });

  chains.push({
    name: C.filterForward,
    base: { type: 'filter', hook: 'forward', priority: Priority.filter, policy: 'accept' },
    rules: [
      { body: clearMark(marks.all) },
      ...perPrefix(options, 'iifname', `jump ${C.fromWlDispatch}`),
      ...perPrefix(options, 'oifname', `jump ${C.toWlDispatch}`),
    ],
  });
  chains.push({
    name: C.fromWlDispatch,
    rules: [...ipv6Disabled, { body: `iifname vmap @${S.fromWlMap}` }, { body: `counter ${deny}`, comment: `${denyWord} unknown interface` }],
  });
  chains.push({
    name: C.toWlDispatch,
    rules: [...ipv6Disabled, { body: `oifname vmap @${S.toWlMap}` }, { body: `counter ${deny}`, comment: `${denyWord} unknown interface` }],
  });

  const dnat = [
    { body: `dnat ip to ip daddr map @${S.fipDnat(4)}`, comment: 'Floating IPs' },
    ...(v6 ? [{ body: `dnat ip6 to ip6 daddr map @${S.fipDnat(6)}`, comment: 'Floating IPs' }] : []),
  ];
  const metadata = os && options.metadataAddr !== undefined
    ? [{ body: `ip daddr ${METADATA_IP} tcp dport 80 counter dnat ip to ${options.metadataAddr}:${options.metadataPort}`, comment: 'OpenStack metadata' }]
    : [];
  chains.push({
    name: C.natPrerouting,
    base: { type: 'nat', hook: 'prerouting', priority: Priority.dstnat, policy: 'accept' },
    rules: [...dnat, ...metadata],
  });
  chains.push({ name: C.natOutput, base: { type: 'nat', hook: 'output', priority: Priority.dstnat, policy: 'accept' }, rules: dnat });
  chains.push({
    name: C.natPostrouting,
    // After other source NAT (e.g. kube-proxy's MASQUERADE), as Felix appends its rules last.
    base: { type: 'nat', hook: 'postrouting', priority: Priority.srcnat + 10, policy: 'accept' },
    rules: [
      { body: `snat ip to ip saddr . ip daddr map @${S.fipSnat(4)}`, comment: 'Floating IP hairpin' },
      ...(v6 ? [{ body: `snat ip6 to ip6 saddr . ip6 daddr map @${S.fipSnat(6)}`, comment: 'Floating IP hairpin' }] : []),
      { body: `jump ${C.natOutgoing}` },
    ],
  });
  return chains;
}

/** `nat-outgoing`: masquerade traffic from natOutgoing pools to destinations outside every pool. */
export function natOutgoingChain(options: DataplaneOptions, masqFamilies: ReadonlySet<4 | 6>): NftChain {
  const rules: NftChain['rules'][number][] = [];
  for (const f of familiesOf(options)) {
    if (!masqFamilies.has(f)) continue;
    const ip = f === 4 ? 'ip' : 'ip6';
    // iptables' `-o eth+` is a prefix match; nft spells it `eth*`.
    const oif = options.natOutgoingInterfaceFilter;
    let match = `${oif === undefined ? '' : `oifname "${oif.replace(/\+$/, '*')}" `}${ip} saddr @${S.masqPools(f)} ${ip} daddr != @${S.allPools(f)}`;
    if (options.natOutgoingExclusions === 'IPPoolsAndHostIPs') match += ` ${ip} daddr != @${S.allHosts(f)}`;
    const snatAddr = f === 4 ? options.natOutgoingAddress : undefined;
    const action = (ports?: string) => snatAddr !== undefined
      ? `snat ${ip} to ${snatAddr}${ports ? `:${ports}` : ''} fully-random`
      : `masquerade${ports ? ` to :${ports}` : ''} fully-random`;
    if (options.natPortRange) {
      const ports = `${options.natPortRange[0]}-${options.natPortRange[1]}`;
      for (const proto of ['tcp', 'udp']) {
        rules.push({ body: `meta l4proto ${proto} ${match} counter ${action(ports)}`, comment: `natOutgoing ${proto} port range` });
        rules.push({ body: `meta l4proto ${proto} ${match} return` });
      }
    }
    rules.push({ body: `${match} counter ${action()}`, comment: 'natOutgoing' });
  }
  return { name: C.natOutgoing, rules };
}
