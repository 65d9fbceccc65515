/**
 * Renders a workload endpoint's two chains (agent-dataplane.md §5.5): `tw-<iface>` (traffic to
 * the workload: its ingress policy) and `fw-<iface>` (from the workload: its egress policy).
 * Established traffic first, invalid dropped, then tiers with pass/end-of-tier semantics, then
 * profiles, then default deny. The part every endpoint shares (conntrack, clearing the marks,
 * the encapsulation drops) lives once in `to-wl-common` / `from-wl-common`, which each endpoint
 * chain jumps to: a third fewer rules to load and to walk. A policy or profile whose chain does
 * not exist is rendered as a drop in its place, so a missing reference fails closed instead of
 * failing the transaction.
 * @module
 */
import type { NftChain, NftRule } from '../drivers/nftables/model.ts';
import { policyKey, type LocalEndpoint, type PolicyID } from '../messages.ts';
import { clearMark, markClear, markSet, setMark, type MarkBits } from './marks.ts';
import { ChainNames } from './names.ts';
import type { DataplaneOptions } from './options.ts';

/** Which policy and profile chains exist (the policy manager answers). */
export interface ChainLookup {
  hasPolicy(id: PolicyID): boolean;
  hasProfile(id: string): boolean;
}

type Direction = 'ingress' | 'egress';

function qos(ep: LocalEndpoint, dir: Direction, key: string): number | undefined {
  const v = ep.qosControls?.[`${dir}${key}`];
  return typeof v === 'number' && Number.isInteger(v) && v > 0 ? v : undefined;
}

/** Rule texts that depend only on the options and marks, built once per configuration. */
interface Fixed {
  established: NftRule;
  invalid: NftRule | undefined;
  clearAll: NftRule;
  vxlan: NftRule | undefined;
  ipip: NftRule | undefined;
  clearPass: string;
  jumpIfNotPassed: string;
  returnIfAccepted: string;
  policyAccepted: NftRule;
  profileAccepted: NftRule;
  endOfTier: string;
  deny: string;
  denyWord: string;
  final: NftRule;
  /** `jump to-wl-common` / `jump from-wl-common`, and with FilterAllowAction=RETURN the check after it. */
  jumpCommon: Record<Direction, NftRule>;
  returnIfEstablished: NftRule | undefined;
  /** Interned rules: identical objects across endpoints make hashing a lookup by identity. */
  tierStarts: Map<string, NftRule>;
  tierEnds: Map<string, NftRule>;
  jumps: Map<string, NftRule>;
}

const fixedCache = new WeakMap<DataplaneOptions, WeakMap<MarkBits, Fixed>>();
const INTERN_LIMIT = 50_000;

function intern(cache: Map<string, NftRule>, key: string, make: () => NftRule): NftRule {
  let r = cache.get(key);
  if (!r) {
    if (cache.size >= INTERN_LIMIT) cache.clear();
    cache.set(key, (r = make()));
  }
  return r;
}

function fixed(options: DataplaneOptions, marks: MarkBits): Fixed {
  let byMarks = fixedCache.get(options);
  if (!byMarks) fixedCache.set(options, (byMarks = new WeakMap()));
  let f = byMarks.get(marks);
  if (f) return f;
  const deny = options.filterDenyAction;
  const denyWord = deny === 'drop' ? 'Drop' : 'Reject';
  const returnIfAccepted = `${markSet(marks.accept)} return`;
  f = {
    established: options.filterAllowAction === 'accept'
      ? { body: 'ct state established,related accept' }
      : { body: `ct state established,related ${setMark(marks.accept)} return` },
    invalid: options.disableConntrackInvalidCheck ? undefined : { body: `ct state invalid counter ${deny}` },
    clearAll: { body: clearMark(marks.all) },
    vxlan: options.allowVXLANFromWorkloads ? undefined : { body: `meta l4proto udp th dport ${options.vxlanPort} counter ${deny}`, comment: `${denyWord} VXLAN encapped packets originating in workloads` },
    ipip: options.allowIPIPFromWorkloads ? undefined : { body: `meta l4proto 4 counter ${deny}`, comment: `${denyWord} IPinIP encapped packets originating in workloads` },
    clearPass: clearMark(marks.pass),
    jumpIfNotPassed: `${markClear(marks.pass)} jump `,
    returnIfAccepted,
    policyAccepted: { body: returnIfAccepted, comment: 'Return if policy accepted' },
    profileAccepted: { body: returnIfAccepted, comment: 'Return if profile accepted' },
    endOfTier: `${markClear(marks.pass)} counter ${deny}`,
    deny: `counter ${deny}`,
    denyWord,
    final: { body: `counter ${deny}`, comment: `${denyWord} if no profiles matched` },
    jumpCommon: { ingress: { body: `jump ${ChainNames.toWlCommon}` }, egress: { body: `jump ${ChainNames.fromWlCommon}` } },
    // With RETURN, established traffic comes back from the common chain with the accept bit set.
    returnIfEstablished: options.filterAllowAction === 'accept' ? undefined : { body: returnIfAccepted, comment: 'Return if established' },
    tierStarts: new Map(),
    tierEnds: new Map(),
    jumps: new Map(),
  };
  byMarks.set(marks, f);
  return f;
}

/** The rules every endpoint chain of a direction starts with (§5.5), before its tiers. */
function prologue(f: Fixed, dir: Direction, maxConn?: number): NftRule[] {
  const rules: NftRule[] = [f.established];
  if (f.invalid) rules.push(f.invalid);
  if (maxConn !== undefined) rules.push({ body: `meta l4proto tcp ct count over ${maxConn} counter reject with tcp reset`, comment: 'Connection limit' });
  rules.push(f.clearAll);
  if (dir === 'egress' && f.vxlan) rules.push(f.vxlan);
  if (dir === 'egress' && f.ipip) rules.push(f.ipip);
  return rules;
}

/** `to-wl-common` and `from-wl-common`: the shared start of every endpoint chain. */
export function commonEndpointChains(options: DataplaneOptions, marks: MarkBits): NftChain[] {
  const f = fixed(options, marks);
  return [
    { name: ChainNames.toWlCommon, comment: 'Start of every workload ingress chain', rules: prologue(f, 'ingress') },
    { name: ChainNames.fromWlCommon, comment: 'Start of every workload egress chain', rules: prologue(f, 'egress') },
  ];
}

function endpointChain(ep: LocalEndpoint, dir: Direction, options: DataplaneOptions, marks: MarkBits, lookup: ChainLookup): NftChain {
  const f = fixed(options, marks);
  const rules: NftRule[] = [];
  const rate = qos(ep, dir, 'PacketRate');
  const maxConn = qos(ep, dir, 'MaxConnections');
  if (rate === undefined && maxConn === undefined) {
    rules.push(f.jumpCommon[dir]);
    if (f.returnIfEstablished) rules.push(f.returnIfEstablished);
  } else {
    // Rate and connection limits are stateful per rule: an endpoint with limits gets its own copy.
    if (rate !== undefined) {
      const burst = qos(ep, dir, 'PacketBurst');
      rules.push({ body: `limit rate over ${rate}/second${burst !== undefined ? ` burst ${burst} packets` : ''} counter drop`, comment: 'Packet rate limit' });
    }
    rules.push(...prologue(f, dir, maxConn));
  }
  for (const tier of ep.tiers) {
    const policies = dir === 'ingress' ? tier.ingressPolicies : tier.egressPolicies;
    if (policies.length === 0) continue;
    rules.push(intern(f.tierStarts, tier.name, () => ({ body: f.clearPass, comment: `Start of tier ${tier.name}` })));
    for (const pid of policies) {
      if (!lookup.hasPolicy(pid)) {
        rules.push({ body: f.deny, comment: `Unknown policy ${policyKey(pid)}` });
        continue;
      }
      const chain = ChainNames.policy(pid, dir);
      rules.push(intern(f.jumps, chain, () => ({ body: f.jumpIfNotPassed + chain })));
      rules.push(f.policyAccepted);
    }
    if (tier.defaultAction !== 'Pass') {
      rules.push(intern(f.tierEnds, tier.name, () => ({ body: f.endOfTier, comment: `End of tier ${tier.name}. ${f.denyWord} if no policies passed packet` })));
    }
  }
  for (const profile of ep.profileIds) {
    if (!lookup.hasProfile(profile)) {
      rules.push({ body: f.deny, comment: `Unknown profile ${profile}` });
      continue;
    }
    const chain = ChainNames.profile(profile, dir);
    rules.push(intern(f.jumps, chain, () => ({ body: `jump ${chain}` })));
    rules.push(f.profileAccepted);
  }
  rules.push(f.final);
  const name = dir === 'ingress' ? ChainNames.toWorkload(ep.interfaceName) : ChainNames.fromWorkload(ep.interfaceName);
  return { name, rules, comment: `${dir === 'ingress' ? 'To' : 'From'} workload interface ${ep.interfaceName}` };
}

/** The `tw-` (ingress) and `fw-` (egress) chains of one endpoint. */
export function renderEndpointChains(ep: LocalEndpoint, options: DataplaneOptions, marks: MarkBits, lookup: ChainLookup): { to: NftChain; from: NftChain } {
  return {
    to: endpointChain(ep, 'ingress', options, marks, lookup),
    from: endpointChain(ep, 'egress', options, marks, lookup),
  };
}
