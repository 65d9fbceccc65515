/**
 * Names of every chain, set and map in the agent's table. Deterministic from the objects they
 * serve, so a restarted agent recognises its own objects; readable where the source name is a
 * legal nft identifier, otherwise the prefix plus a hash of the source name.
 * @module
 */
import { createHash } from 'node:crypto';

import type { PolicyID } from '../messages.ts';

/** nft's chain and set name limit (256 bytes with the terminating NUL). */
const MAX_NAME = 255;
const LEGAL_SUFFIX = /^[A-Za-z0-9./-][A-Za-z0-9_./-]*$/;

function hash(text: string, len: number): string {
  return createHash('sha256').update(text).digest('base64url').slice(0, len);
}

/**
 * `prefix + suffix` when the suffix is a legal identifier tail and fits; otherwise
 * `prefix + "_" + hash(suffix)` (legal suffixes never start with `_`, so the forms cannot collide).
 */
export function legalName(prefix: string, suffix: string): string {
  if (LEGAL_SUFFIX.test(suffix) && prefix.length + suffix.length <= MAX_NAME) return prefix + suffix;
  return `${prefix}_${hash(suffix, 22)}`;
}

const KIND_SHORT: Readonly<Record<PolicyID['kind'], string>> = { NetworkPolicy: 'np', GlobalNetworkPolicy: 'gnp' };

function policySuffix(id: PolicyID): string {
  const kind = KIND_SHORT[id.kind];
  return id.namespace ? `${kind}/${id.namespace}/${id.name}` : `${kind}/${id.name}`;
}

/** Chain names of the table. */
export const ChainNames = {
  rawPrerouting: 'raw-prerouting',
  natPrerouting: 'nat-prerouting',
  natOutput: 'nat-output',
  natPostrouting: 'nat-postrouting',
  filterInput: 'filter-input',
  filterForward: 'filter-forward',
  antiSpoof: 'anti-spoof',
  wlToHost: 'wl-to-host',
  fromWlDispatch: 'from-wl-dispatch',
  toWlDispatch: 'to-wl-dispatch',
  natOutgoing: 'nat-outgoing',
  /** The shared start of every endpoint ingress / egress chain. */
  toWlCommon: 'to-wl-common',
  fromWlCommon: 'from-wl-common',
  /** Policy ingress (`pi-`) or egress (`po-`) chain. */
  policy: (id: PolicyID, dir: 'ingress' | 'egress') => legalName(dir === 'ingress' ? 'pi-' : 'po-', policySuffix(id)),
  /** Profile ingress (`pri-`) or egress (`pro-`) chain. */
  profile: (id: string, dir: 'ingress' | 'egress') => legalName(dir === 'ingress' ? 'pri-' : 'pro-', id),
  /** Traffic to the workload (its ingress policy). */
  toWorkload: (iface: string) => legalName('tw-', iface),
  /** Traffic from the workload (its egress policy). */
  fromWorkload: (iface: string) => legalName('fw-', iface),
} as const;

/** Set and map names of the table. */
export const SetNames = {
  /** Verdict map: interface → `goto tw-<iface>`. */
  toWlMap: 'to-wl',
  /** Verdict map: interface → `goto fw-<iface>`. */
  fromWlMap: 'from-wl',
  /** `ifname . address` pairs a workload may send from (anti-spoofing): single addresses. */
  workloadSources: (family: 4 | 6) => `wl-src${family}`,
  /** `ifname . network` pairs a workload may send from: prefixes (interval set, usually empty). */
  workloadNets: (family: 4 | 6) => `wl-net${family}`,
  /** Floating IPs: external → internal address. */
  fipDnat: (family: 4 | 6) => `fip-dnat${family}`,
  /** Floating IP hairpin: internal . internal → external address. */
  fipSnat: (family: 4 | 6) => `fip-snat${family}`,
  /** All IP pool CIDRs. */
  allPools: (family: 4 | 6) => `pools${family}`,
  /** Pools with natOutgoing. */
  masqPools: (family: 4 | 6) => `masq-pools${family}`,
  /** Addresses of all hosts (NATOutgoingExclusions=IPPoolsAndHostIPs). */
  allHosts: (family: 4 | 6) => `hosts${family}`,
  /** The set of a calculation-graph IP set ID (`s:…` → `ip4-s-…`). */
  ipSet: (id: string, family: 4 | 6) => legalName(`ip${family}-`, id.replaceAll(':', '-')),
  /** A content-addressed set replacing an inline `{ … }` list in a rule. */
  shared: (kind: 'ports' | 'nets4' | 'nets6', elements: readonly string[]) => `${kind}-${hash(elements.join(','), 16)}`,
} as const;

/** Stable display text of a policy, for comments and log prefixes. */
export function describePolicy(id: PolicyID): string {
  return id.namespace ? `${id.kind} ${id.namespace}/${id.name}` : `${id.kind} ${id.name}`;
}
