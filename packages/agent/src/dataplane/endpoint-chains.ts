/**
 * Renders a workload endpoint's two chains (agent-dataplane.md §5.5): `tw-<iface>` (traffic to
 * the workload: its ingress policy) and `fw-<iface>` (from the workload: its egress policy).
 * Established traffic first, invalid dropped, then tiers with pass/end-of-tier semantics, then
 * profiles, then default deny. A policy or profile whose chain does not exist is rendered as a
 * drop in its place, so a missing reference fails closed instead of failing the transaction.
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

function endpointChain(ep: LocalEndpoint, dir: Direction, options: DataplaneOptions, marks: MarkBits, lookup: ChainLookup): NftChain {
  const deny = options.filterDenyAction;
  const denyWord = deny === 'drop' ? 'Drop' : 'Reject';
  const rules: NftRule[] = [];
  const rate = qos(ep, dir, 'PacketRate');
  if (rate !== undefined) {
    const burst = qos(ep, dir, 'PacketBurst');
    rules.push({ body: `limit rate over ${rate}/second${burst !== undefined ? ` burst ${burst} packets` : ''} counter drop`, comment: 'Packet rate limit' });
  }
  rules.push(options.filterAllowAction === 'accept'
    ? { body: 'ct state established,related accept' }
    : { body: `ct state established,related ${setMark(marks.accept)} return` });
  if (!options.disableConntrackInvalidCheck) rules.push({ body: `ct state invalid counter ${deny}` });
  const maxConn = qos(ep, dir, 'MaxConnections');
  if (maxConn !== undefined) rules.push({ body: `meta l4proto tcp ct count over ${maxConn} counter reject with tcp reset`, comment: 'Connection limit' });
  rules.push({ body: clearMark(marks.all) });
  if (dir === 'egress' && !options.allowVXLANFromWorkloads) {
    rules.push({ body: `meta l4proto udp th dport ${options.vxlanPort} counter ${deny}`, comment: `${denyWord} VXLAN encapped packets originating in workloads` });
  }
  if (dir === 'egress' && !options.allowIPIPFromWorkloads) {
    rules.push({ body: `meta l4proto 4 counter ${deny}`, comment: `${denyWord} IPinIP encapped packets originating in workloads` });
  }
  for (const tier of ep.tiers) {
    const policies = dir === 'ingress' ? tier.ingressPolicies : tier.egressPolicies;
    if (policies.length === 0) continue;
    rules.push({ body: clearMark(marks.pass), comment: `Start of tier ${tier.name}` });
    for (const pid of policies) {
      if (!lookup.hasPolicy(pid)) {
        rules.push({ body: `counter ${deny}`, comment: `Unknown policy ${policyKey(pid)}` });
        continue;
      }
      rules.push({ body: `${markClear(marks.pass)} jump ${ChainNames.policy(pid, dir)}` });
      rules.push({ body: `${markSet(marks.accept)} return`, comment: 'Return if policy accepted' });
    }
    if (tier.defaultAction !== 'Pass') {
      rules.push({ body: `${markClear(marks.pass)} counter ${deny}`, comment: `End of tier ${tier.name}. ${denyWord} if no policies passed packet` });
    }
  }
  for (const profile of ep.profileIds) {
    if (!lookup.hasProfile(profile)) {
      rules.push({ body: `counter ${deny}`, comment: `Unknown profile ${profile}` });
      continue;
    }
    rules.push({ body: `jump ${ChainNames.profile(profile, dir)}` });
    rules.push({ body: `${markSet(marks.accept)} return`, comment: 'Return if profile accepted' });
  }
  rules.push({ body: `counter ${deny}`, comment: `${denyWord} if no profiles matched` });
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
