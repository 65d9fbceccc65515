/**
 * Felix's `ActiveRulesCalculator`: keeps every policy and profile and works out which are
 * active on this host. A policy is active while its selector matches at least one local
 * endpoint (a label index over the local endpoints finds the matches both ways); a profile while
 * a local endpoint lists it. Active ones go to the rule scanner; each (policy, endpoint) match
 * goes to the policy resolver.
 * @module
 */
import type { Selector } from '@percale/api';
import type { Dispatcher } from './dispatcher.ts';
import type { LocalEndpointData } from './endpoint-converter.ts';
import type { Item, ItemListener, ItemRef } from './label-inheritance-index.ts';
import { LabelIndex } from './label-index.ts';
import type { LabelSet } from './label-set.ts';
import { readPolicy, type PolicyModel } from './read-policy.ts';
import { parseRule, parseRules, type ParsedRule } from './rule-converter.ts';
import type { ActivePolicy, RuleScanner } from './rule-scanner.ts';
import type { Update } from './update.ts';

/** Receives the label keys policy selectors restrict on: the IP set member index. */
export interface LabelKeyHintListener {
  onLabelKeysLikely(keys: Iterable<string>): void;
  onLabelKeysUnlikely(keys: Iterable<string>): void;
}

/** Receives matches and endpoint data: the policy resolver. */
export interface PolicyMatchListener {
  onEndpointUpdate(key: string, data: LocalEndpointData | undefined): void;
  onPolicyUpdate(key: string, policy: PolicyModel | undefined): void;
  onPolicyMatchStarted(policyKey: string, endpointKey: string): void;
  onPolicyMatchStopped(policyKey: string, endpointKey: string): void;
}

interface PolicyState {
  readonly key: string;
  model: PolicyModel;
  readonly matched: Set<EndpointState>;
  /** Rules, parsed on activation and kept while the policy is unchanged. */
  parsed: ActivePolicy | undefined;
}

interface EndpointState {
  readonly key: string;
  labels: LabelSet;
  profiles: readonly string[];
  readonly matched: Set<PolicyState>;
}

interface ProfileState {
  spec: Record<string, unknown> | undefined;
  users: number;
  parsed: { inbound: ParsedRule[]; outbound: ParsedRule[] } | undefined;
}

function requiredKeys(selector: Selector | undefined): string[] {
  if (selector === undefined) return [];
  const keys: string[] = [];
  for (const [key, r] of selector.labelRestrictions()) if (r.mustBePresent) keys.push(key);
  return keys;
}

// A profile that is referenced but missing (or invalid) denies everything, as in Felix.
const DENY_ALL: readonly ParsedRule[] = Object.freeze([parseRule(undefined, '')]);

/** The active rules node. */
export class ActiveRulesCalculator implements ItemListener {
  readonly #scanner: RuleScanner;
  readonly #resolver: PolicyMatchListener;
  readonly #hints: LabelKeyHintListener;
  readonly #index = new LabelIndex<EndpointState, PolicyState>();
  readonly #policies = new Map<string, PolicyState>();
  readonly #endpoints = new Map<string, EndpointState>();
  readonly #profiles = new Map<string, ProfileState>();
  #active = 0;

  constructor(scanner: RuleScanner, resolver: PolicyMatchListener, hints: LabelKeyHintListener) {
    this.#scanner = scanner;
    this.#resolver = resolver;
    this.#hints = hints;
  }

  /** Takes policies and profiles (staged policies are never applied, so never registered). */
  registerWith(dispatcher: Dispatcher): void {
    dispatcher.register('NetworkPolicy', (u) => this.onPolicyUpdate(u));
    dispatcher.register('GlobalNetworkPolicy', (u) => this.onPolicyUpdate(u));
    dispatcher.register('Profile', (u) => this.onProfileUpdate(u));
  }

  /** Number of policies active on this host. */
  get activePolicyCount(): number {
    return this.#active;
  }

  /** A policy was added, changed or removed. */
  onPolicyUpdate(update: Update): void {
    const key = `${update.kind}/${update.key}`;
    let state = this.#policies.get(key);
    if (update.resource === undefined) {
      if (state === undefined) return;
      this.#hints.onLabelKeysUnlikely(requiredKeys(state.model.selector));
      this.#index.removeSelector(state);
      for (const ep of [...state.matched]) this.#unmatch(state, ep);
      this.#policies.delete(key);
      this.#resolver.onPolicyUpdate(key, undefined);
      return;
    }
    const model = readPolicy(update);
    const before = state?.model.selector?.toString();
    // Rule selectors mostly restrict on the labels policy selectors do (security-group labels):
    // announcing those lets the member index build its item index in one pass.
    this.#hints.onLabelKeysLikely(requiredKeys(model.selector));
    if (state !== undefined) this.#hints.onLabelKeysUnlikely(requiredKeys(state.model.selector));
    if (state === undefined) {
      state = { key, model, matched: new Set(), parsed: undefined };
      this.#policies.set(key, state);
    } else {
      state.model = model;
      state.parsed = undefined;
    }
    this.#resolver.onPolicyUpdate(key, model);
    const wasActive = state.matched.size > 0;
    const after = model.selector?.toString();
    if (before !== after || before === undefined) {
      const now = new Set<EndpointState>();
      if (model.selector === undefined) this.#index.removeSelector(state);
      else {
        this.#index.addSelector(state, model.selector);
        this.#index.forEachItemMatching(state, (ep) => now.add(ep));
      }
      // New matches first: a policy that keeps some match never flaps inactive and back.
      for (const ep of now) if (!state.matched.has(ep)) this.#match(state, ep);
      for (const ep of [...state.matched]) if (!now.has(ep)) this.#unmatch(state, ep);
    }
    // Matches that carried over keep the policy active: its rules may have changed.
    if (wasActive && state.matched.size > 0) this.#activate(state);
  }

  /** A profile was added, changed or removed: its rules matter while an endpoint uses it. */
  onProfileUpdate(update: Update): void {
    const spec = update.resource?.spec as Record<string, unknown> | undefined;
    let state = this.#profiles.get(update.name);
    if (state === undefined) {
      if (update.resource === undefined) return;
      state = { spec: undefined, users: 0, parsed: undefined };
      this.#profiles.set(update.name, state);
    }
    state.spec = update.resource === undefined ? undefined : (spec ?? {});
    state.parsed = undefined;
    if (state.users > 0) this.#sendProfile(update.name, state);
    else if (state.spec === undefined) this.#profiles.delete(update.name);
  }

  /** A local endpoint was added, changed or removed. */
  onItemUpdate(ref: ItemRef, _old: Item | undefined, current: Item | undefined): void {
    const key = ref.key;
    let state = this.#endpoints.get(key);
    if (current === undefined || current.local === undefined) {
      if (state === undefined) return;
      for (const p of [...state.matched]) this.#unmatch(p, state);
      this.#index.removeItem(state);
      this.#setProfiles(state, []);
      this.#endpoints.delete(key);
      this.#resolver.onEndpointUpdate(key, undefined);
      return;
    }
    const data = current.local;
    // Tell the resolver about the endpoint first, so matches never refer to an unknown endpoint.
    this.#resolver.onEndpointUpdate(key, data);
    if (state === undefined) {
      state = { key, labels: current.labels, profiles: [], matched: new Set() };
      this.#endpoints.set(key, state);
      this.#index.addItem(state);
      const now: PolicyState[] = [];
      this.#index.forEachSelectorMatching(state.labels, (p) => now.push(p));
      for (const p of now) this.#match(p, state);
    } else if (state.labels !== current.labels) {
      this.#index.removeItem(state);
      state.labels = current.labels;
      this.#index.addItem(state);
      const now = new Set<PolicyState>();
      this.#index.forEachSelectorMatching(state.labels, (p) => now.add(p));
      // New matches first, so IP sets shared by the old and new policies are not churned.
      for (const p of now) if (!state.matched.has(p)) this.#match(p, state);
      for (const p of [...state.matched]) if (!now.has(p)) this.#unmatch(p, state);
    }
    this.#setProfiles(state, data.endpoint.profileIds);
  }

  #match(policy: PolicyState, ep: EndpointState): void {
    policy.matched.add(ep);
    ep.matched.add(policy);
    if (policy.matched.size === 1) {
      this.#active++;
      this.#activate(policy);
    }
    this.#resolver.onPolicyMatchStarted(policy.key, ep.key);
  }

  #unmatch(policy: PolicyState, ep: EndpointState): void {
    policy.matched.delete(ep);
    ep.matched.delete(policy);
    this.#resolver.onPolicyMatchStopped(policy.key, ep.key);
    if (policy.matched.size === 0) {
      this.#active--;
      this.#scanner.onPolicyInactive(policy.key, policy.model.id);
    }
  }

  #activate(policy: PolicyState): void {
    const m = policy.model;
    // Rules of a direction the policy does not govern are never used: they get no IP sets.
    policy.parsed ??= {
      tier: m.tier,
      inbound: m.ingress ? parseRules(m.rawIngress, m.namespace) : [],
      outbound: m.egress ? parseRules(m.rawEgress, m.namespace) : [],
      untracked: m.untracked,
      preDNAT: m.preDNAT,
      applyOnForward: m.applyOnForward,
    };
    this.#scanner.onPolicyActive(policy.key, m.id, policy.parsed);
  }

  // Takes the new references before releasing the old, so an unchanged profile is not churned.
  #setProfiles(ep: EndpointState, profiles: readonly string[]): void {
    const before = ep.profiles;
    ep.profiles = profiles;
    for (const name of new Set(profiles)) {
      if (before.includes(name)) continue;
      let state = this.#profiles.get(name);
      if (state === undefined) {
        state = { spec: undefined, users: 0, parsed: undefined };
        this.#profiles.set(name, state);
      }
      if (++state.users === 1) this.#sendProfile(name, state);
    }
    for (const name of new Set(before)) {
      if (profiles.includes(name)) continue;
      const state = this.#profiles.get(name)!;
      if (--state.users > 0) continue;
      this.#scanner.onProfileInactive(name);
      if (state.spec === undefined) this.#profiles.delete(name);
    }
  }

  #sendProfile(name: string, state: ProfileState): void {
    const spec = state.spec;
    state.parsed ??= spec === undefined
      ? { inbound: [...DENY_ALL], outbound: [...DENY_ALL] }
      : { inbound: parseRules(spec.ingress, ''), outbound: parseRules(spec.egress, '') };
    this.#scanner.onProfileActive(name, state.parsed.inbound, state.parsed.outbound);
  }
}
