/**
 * Felix's `PolicyResolver` and `PolicySorter`: for each local endpoint, the policies that apply
 * to it grouped into tiers and put in evaluation order (policy-semantics §2.3–2.4), each tier
 * with its ingress and egress lists and default action. Endpoints are recomputed at flush, only
 * those whose matches, policies or tiers changed.
 * @module
 */
import type { EndpointID, LocalEndpoint, PolicyID, TierInfo } from '../messages.ts';
import type { PolicyMatchListener } from './active-rules-calculator.ts';
import type { Dispatcher } from './dispatcher.ts';
import type { LocalEndpointData } from './endpoint-converter.ts';
import type { PolicyModel } from './read-policy.ts';
import type { Update } from './update.ts';

/** Receives resolved endpoints: the event sequencer. */
export interface EndpointListener {
  onEndpointUpdate(id: EndpointID, endpoint: LocalEndpoint): void;
  onEndpointRemove(id: EndpointID): void;
}

interface TierModel {
  readonly order: number | undefined;
  readonly defaultAction: 'Deny' | 'Pass';
}

interface EndpointState {
  data: LocalEndpointData;
  readonly policies: Set<string>;
}

/** Byte-wise string order, as Go compares strings (UTF-16 order differs only above U+FFFF). */
function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

// Felix's `PolKVLess`: order ascending (unset last), then `name/namespace/kind`.
function comparePolicies(a: PolicyModel, b: PolicyModel): number {
  if (a.order !== b.order) return a.order < b.order ? -1 : 1;
  const key = (p: PolicyModel) => `${p.id.name}/${p.id.namespace ?? ''}/${p.id.kind}`;
  return compareStrings(key(a), key(b));
}

function sameSortData(a: PolicyModel, b: PolicyModel): boolean {
  return a.tier === b.tier && a.order === b.order && a.ingress === b.ingress && a.egress === b.egress &&
    a.untracked === b.untracked && a.preDNAT === b.preDNAT;
}

/** The policy resolver node. */
export class PolicyResolver implements PolicyMatchListener {
  readonly #out: EndpointListener;
  readonly #endpoints = new Map<string, EndpointState>();
  readonly #policies = new Map<string, PolicyModel>();
  /** Policy key → local endpoints it matches. */
  readonly #policyEndpoints = new Map<string, Set<string>>();
  readonly #tiers = new Map<string, TierModel>();
  /** Endpoints to recompute at flush, with the ID to remove them by. */
  readonly #dirty = new Map<string, EndpointID>();

  constructor(out: EndpointListener) {
    this.#out = out;
  }

  /** Takes Tiers. */
  registerWith(dispatcher: Dispatcher): void {
    dispatcher.register('Tier', (u) => this.onTierUpdate(u));
  }

  /** A tier's order or default action changed: every endpoint with a policy in it is recomputed. */
  onTierUpdate(update: Update): void {
    const spec = update.resource?.spec as { order?: unknown; defaultAction?: unknown } | undefined;
    if (update.resource === undefined) this.#tiers.delete(update.name);
    else {
      this.#tiers.set(update.name, {
        order: typeof spec?.order === 'number' && Number.isFinite(spec.order) ? spec.order : undefined,
        defaultAction: spec?.defaultAction === 'Pass' ? 'Pass' : 'Deny',
      });
    }
    for (const [key, ep] of this.#endpoints) {
      for (const p of ep.policies) {
        if (this.#policies.get(p)?.tier === update.name) {
          this.#dirty.set(key, ep.data.id);
          break;
        }
      }
    }
  }

  onEndpointUpdate(key: string, data: LocalEndpointData | undefined): void {
    const ep = this.#endpoints.get(key);
    if (data === undefined) {
      if (ep === undefined) return;
      this.#endpoints.delete(key);
      this.#dirty.set(key, ep.data.id);
      return;
    }
    if (ep === undefined) this.#endpoints.set(key, { data, policies: new Set() });
    else ep.data = data;
    this.#dirty.set(key, data.id);
  }

  onPolicyUpdate(key: string, policy: PolicyModel | undefined): void {
    const before = this.#policies.get(key);
    if (policy === undefined) this.#policies.delete(key);
    else this.#policies.set(key, policy);
    if (before !== undefined && policy !== undefined && sameSortData(before, policy)) return;
    for (const ep of this.#policyEndpoints.get(key) ?? []) this.#markDirty(ep);
  }

  onPolicyMatchStarted(policyKey: string, endpointKey: string): void {
    this.#endpoints.get(endpointKey)?.policies.add(policyKey);
    let eps = this.#policyEndpoints.get(policyKey);
    if (eps === undefined) {
      eps = new Set();
      this.#policyEndpoints.set(policyKey, eps);
    }
    eps.add(endpointKey);
    this.#markDirty(endpointKey);
  }

  onPolicyMatchStopped(policyKey: string, endpointKey: string): void {
    this.#endpoints.get(endpointKey)?.policies.delete(policyKey);
    const eps = this.#policyEndpoints.get(policyKey);
    if (eps !== undefined && eps.delete(endpointKey) && eps.size === 0) this.#policyEndpoints.delete(policyKey);
    this.#markDirty(endpointKey);
  }

  /** Sends every changed endpoint with its tiers. */
  flush(): void {
    for (const [key, id] of this.#dirty) {
      const ep = this.#endpoints.get(key);
      if (ep === undefined) this.#out.onEndpointRemove(id);
      else this.#out.onEndpointUpdate(ep.data.id, { ...ep.data.endpoint, tiers: this.#tiersFor(ep) });
    }
    this.#dirty.clear();
  }

  #markDirty(endpointKey: string): void {
    const ep = this.#endpoints.get(endpointKey);
    if (ep !== undefined) this.#dirty.set(endpointKey, ep.data.id);
  }

  // Felix's TierLess: existing tiers first, then ordered before unordered, by order, by name.
  #compareTiers(a: string, b: string): number {
    const ta = this.#tiers.get(a);
    const tb = this.#tiers.get(b);
    if ((ta === undefined) !== (tb === undefined)) return ta === undefined ? 1 : -1;
    const oa = ta?.order;
    const ob = tb?.order;
    if ((oa === undefined) !== (ob === undefined)) return oa === undefined ? 1 : -1;
    if (oa !== undefined && ob !== undefined && oa !== ob) return oa < ob ? -1 : 1;
    return compareStrings(a, b);
  }

  #tiersFor(ep: EndpointState): TierInfo[] {
    const byTier = new Map<string, PolicyModel[]>();
    for (const key of ep.policies) {
      const p = this.#policies.get(key);
      // Untracked and pre-DNAT policies only ever apply to host endpoints.
      if (p === undefined || p.untracked || p.preDNAT) continue;
      let list = byTier.get(p.tier);
      if (list === undefined) {
        list = [];
        byTier.set(p.tier, list);
      }
      list.push(p);
    }
    const tiers: TierInfo[] = [];
    for (const name of [...byTier.keys()].sort((a, b) => this.#compareTiers(a, b))) {
      const policies = byTier.get(name)!.sort(comparePolicies);
      const ids = (pred: (p: PolicyModel) => boolean): PolicyID[] => policies.filter(pred).map((p) => p.id);
      const ingressPolicies = ids((p) => p.ingress);
      const egressPolicies = ids((p) => p.egress);
      if (ingressPolicies.length === 0 && egressPolicies.length === 0) continue;
      tiers.push({ name, defaultAction: this.#tiers.get(name)?.defaultAction ?? 'Deny', ingressPolicies, egressPolicies });
    }
    return tiers;
  }
}
