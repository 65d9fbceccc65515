/**
 * Felix's `RuleScanner`: turns the parsed rules of active policies and profiles into dataplane
 * rules that reference IP sets by Calico's IDs, and reference-counts those sets across every
 * active rule. A set becomes active (the member index starts computing it) on its first use and
 * inactive on its last release; the policy update itself goes to the event sequencer.
 * @module
 */
import { makeUniqueId, parseSelector, type Selector } from '@percale/api';
import type { PolicyID, PolicyRules, ProfileRules, Rule } from '../messages.ts';
import type { IPSetSpec } from './ip-set-member-index.ts';
import type { ParsedRule, ParsedSide } from './rule-converter.ts';

/** Receives IP set (de)activations: the IP set member index. */
export interface IPSetActivationListener {
  onIPSetActive(spec: IPSetSpec): void;
  onIPSetInactive(id: string): void;
}

/** Receives converted policies and profiles: the event sequencer. */
export interface RulesListener {
  onPolicyUpdate(id: PolicyID, policy: PolicyRules): void;
  onPolicyRemove(id: PolicyID): void;
  onProfileUpdate(id: string, profile: ProfileRules): void;
  onProfileRemove(id: string): void;
}

/** The parts of an active policy the scanner needs. */
export interface ActivePolicy {
  readonly tier: string;
  readonly inbound: readonly ParsedRule[];
  readonly outbound: readonly ParsedRule[];
  readonly untracked: boolean;
  readonly preDNAT: boolean;
  readonly applyOnForward: boolean;
}

const ALL = parseSelector('all()');

function selectorSet(selector: Selector): IPSetSpec {
  return { id: selector.uniqueId(), setType: 'net', selector };
}

// Calico's named-port set ID: `n:` + hash of "<selector ID>,<protocol>,<port name>".
function namedPortSet(selector: Selector, protocol: ParsedRule['namedPortProtocol'], name: string): IPSetSpec {
  return {
    id: makeUniqueId('n', `${selector.uniqueId()},${protocol},${name}`),
    setType: 'ip-and-port',
    selector,
    namedPort: { name, protocol },
  };
}

/** The IP set IDs one side of a rule uses, collecting their specs into `sets`. */
function sideSets(side: ParsedSide, protocol: ParsedRule['namedPortProtocol'], sets: Map<string, IPSetSpec>) {
  const use = (spec: IPSetSpec) => {
    sets.set(spec.id, spec);
    return spec.id;
  };
  // Named ports are filtered by the positive selector (the rule only matches inside it anyway);
  // for the negated ports too, since the rule as a whole still needs the positive match.
  const portSelector = side.selector ?? ALL;
  const namedPortIPSets = side.namedPorts.map((n) => use(namedPortSet(portSelector, protocol, n)));
  const notNamedPortIPSets = side.notNamedPorts.map((n) => use(namedPortSet(portSelector, protocol, n)));
  // With only named ports the named-port sets already apply the selector.
  const ipSets = side.selector !== undefined && (side.ports.length > 0 || side.namedPorts.length === 0) ? [use(selectorSet(side.selector))] : [];
  const notIPSets = side.notSelector !== undefined ? [use(selectorSet(side.notSelector))] : [];
  return { ipSets, notIPSets, namedPortIPSets, notNamedPortIPSets };
}

function toRule(parsed: ParsedRule, sets: Map<string, IPSetSpec>): Rule {
  if (parsed.neverMatches) {
    return {
      action: parsed.action, srcNets: [], notSrcNets: [], dstNets: [], notDstNets: [], srcPorts: [], notSrcPorts: [],
      dstPorts: [], notDstPorts: [], srcIPSets: [], notSrcIPSets: [], dstIPSets: [], notDstIPSets: [],
      srcNamedPortIPSets: [], notSrcNamedPortIPSets: [], dstNamedPortIPSets: [], notDstNamedPortIPSets: [], neverMatches: true,
    };
  }
  const src = sideSets(parsed.source, parsed.namedPortProtocol, sets);
  const dst = sideSets(parsed.destination, parsed.namedPortProtocol, sets);
  return {
    action: parsed.action,
    ...(parsed.ipVersion !== undefined ? { ipVersion: parsed.ipVersion } : {}),
    ...(parsed.protocol !== undefined ? { protocol: parsed.protocol } : {}),
    ...(parsed.notProtocol !== undefined ? { notProtocol: parsed.notProtocol } : {}),
    srcNets: [...parsed.source.nets],
    notSrcNets: [...parsed.source.notNets],
    dstNets: [...parsed.destination.nets],
    notDstNets: [...parsed.destination.notNets],
    srcPorts: [...parsed.source.ports],
    notSrcPorts: [...parsed.source.notPorts],
    dstPorts: [...parsed.destination.ports],
    notDstPorts: [...parsed.destination.notPorts],
    srcIPSets: src.ipSets,
    notSrcIPSets: src.notIPSets,
    dstIPSets: dst.ipSets,
    notDstIPSets: dst.notIPSets,
    srcNamedPortIPSets: src.namedPortIPSets,
    notSrcNamedPortIPSets: src.notNamedPortIPSets,
    dstNamedPortIPSets: dst.namedPortIPSets,
    notDstNamedPortIPSets: dst.notNamedPortIPSets,
    ...(parsed.icmp !== undefined ? { icmp: parsed.icmp } : {}),
    ...(parsed.notICMP !== undefined ? { notICMP: parsed.notICMP } : {}),
  };
}

/** The rule scanner node. */
export class RuleScanner {
  readonly #ipSets: IPSetActivationListener;
  readonly #out: RulesListener;
  /** Set ID → number of policies/profiles using it. */
  readonly #users = new Map<string, number>();
  /** Policy/profile key → set IDs it uses. */
  readonly #uses = new Map<string, ReadonlyMap<string, IPSetSpec>>();

  constructor(ipSets: IPSetActivationListener, out: RulesListener) {
    this.#ipSets = ipSets;
    this.#out = out;
  }

  /** A policy is active (or its rules changed while active). */
  onPolicyActive(key: string, id: PolicyID, policy: ActivePolicy): void {
    const sets = new Map<string, IPSetSpec>();
    const rules: PolicyRules = {
      tier: policy.tier,
      inbound: policy.inbound.map((r) => toRule(r, sets)),
      outbound: policy.outbound.map((r) => toRule(r, sets)),
      untracked: policy.untracked,
      preDNAT: policy.preDNAT,
      applyOnForward: policy.applyOnForward,
    };
    const release = this.#use(key, sets);
    this.#out.onPolicyUpdate(id, rules);
    release();
  }

  /** A policy stopped being active. */
  onPolicyInactive(key: string, id: PolicyID): void {
    const release = this.#use(key, new Map());
    this.#out.onPolicyRemove(id);
    release();
  }

  /** A profile is active (or its rules changed while active). */
  onProfileActive(name: string, inbound: readonly ParsedRule[], outbound: readonly ParsedRule[]): void {
    const sets = new Map<string, IPSetSpec>();
    const profile: ProfileRules = { inbound: inbound.map((r) => toRule(r, sets)), outbound: outbound.map((r) => toRule(r, sets)) };
    const release = this.#use(`Profile/${name}`, sets);
    this.#out.onProfileUpdate(name, profile);
    release();
  }

  /** A profile stopped being active. */
  onProfileInactive(name: string): void {
    const release = this.#use(`Profile/${name}`, new Map());
    this.#out.onProfileRemove(name);
    release();
  }

  // Records that `key` now uses `sets`: activates the new ones at once and returns a function
  // that releases the ones no longer used, to be called after the rules are emitted.
  #use(key: string, sets: ReadonlyMap<string, IPSetSpec>): () => void {
    const before = this.#uses.get(key);
    if (sets.size > 0) this.#uses.set(key, sets);
    else this.#uses.delete(key);
    for (const [id, spec] of sets) {
      if (before?.has(id)) continue;
      const n = this.#users.get(id) ?? 0;
      this.#users.set(id, n + 1);
      if (n === 0) this.#ipSets.onIPSetActive(spec);
    }
    return () => {
      if (before === undefined) return;
      for (const id of before.keys()) {
        if (sets.has(id)) continue;
        const n = this.#users.get(id)!;
        if (n > 1) this.#users.set(id, n - 1);
        else {
          this.#users.delete(id);
          this.#ipSets.onIPSetInactive(id);
        }
      }
    };
  }
}
