/**
 * What the four policy kinds share (NetworkPolicy, GlobalNetworkPolicy and the staged variants):
 * member types, the Go spec validators and GlobalNetworkPolicy CEL rules, and the client
 * defaulting of `types` and the tier label (resources.md §2.2).
 * @module
 */
import { list } from '../schema/collections.ts';
import { enumOf, float, string } from '../schema/scalars.ts';
import { asField, defaulted, isZeroMember, pointer, type Fields, type StructRule } from '../schema/struct.ts';
import type { Resource } from './types.ts';
import { noGlobal, selectorSyntax } from '../validation/selectors.ts';
import { subdomainName } from '../validation/names.ts';
import { Rule, type RuleValue } from './rule.ts';

/** The label the client sets to the policy's tier. */
export const TIER_LABEL = 'projectcalico.org/tier';

/** `tier`: a tier name, `default` when absent (CRD default). */
export const tier = defaulted(string({ check: subdomainName }), 'default');
/** `order`: nil sorts after every ordered policy. */
export const order = pointer(float());
/** `ingress` / `egress`. */
export const rules = list(Rule, { maxItems: 1024 });
/** `selector`, `serviceAccountSelector`, GNP `namespaceSelector`. */
export const policySelector = string({ maxLength: 1024, check: [selectorSyntax, noGlobal] });
/** `types`. */
export const policyTypes = list(enumOf(['Ingress', 'Egress']), { minItems: 1, maxItems: 2 });
/** `performanceHints`. */
export const performanceHints = list(enumOf(['AssumeNeededOnEveryNode']), { unique: true });
/** `stagedAction` of the staged kinds, `Set` when absent (CRD default). */
export const stagedAction = defaulted(enumOf(['Set', 'Delete', 'Learn', 'Ignore']), 'Set');

/** The spec members the policy rules look at. */
export interface PolicySpecView {
  readonly ingress?: readonly RuleValue[];
  readonly egress?: readonly RuleValue[];
  readonly types?: readonly string[];
  readonly doNotTrack?: boolean;
  readonly preDNAT?: boolean;
  readonly applyOnForward?: boolean;
  readonly stagedAction?: string;
}

/**
 * Go's policy spec validator: no repeated type; services only on the side of a rule that
 * faces the other endpoint; no HTTP match on egress. `global` adds GlobalNetworkPolicy's rule
 * that a service match must name its namespace.
 */
export function policySpecRules(global: boolean): StructRule<PolicySpecView>[] {
  const checks: StructRule<PolicySpecView>[] = [
    (spec, report) => {
      const seen = new Set<string>();
      (spec.types ?? []).forEach((t, i) => {
        if (seen.has(t)) report(['types', i], `'${t}' type specified more than once`, t);
        seen.add(t);
      });
    },
    (spec, report) => {
      (spec.egress ?? []).forEach((r, i) => {
        if (r.source?.services) report(['egress', i, 'source', 'services'], 'not allowed in egress rule source');
        if (r.http) report(['egress', i, 'http'], global ? 'not allowed in egress rules' : 'not allowed in egress rule');
      });
      (spec.ingress ?? []).forEach((r, i) => {
        if (r.destination?.services) report(['ingress', i, 'destination', 'services'], 'not allowed in ingress rule destination');
      });
    },
  ];
  if (global) {
    checks.push((spec, report) => {
      // Outside a namespace a service name is ambiguous without one.
      (spec.egress ?? []).forEach((r, i) => {
        if (r.destination?.services && !r.destination.services.namespace) {
          report(['egress', i, 'destination', 'services', 'namespace'], 'must specify a namespace');
        }
      });
      (spec.ingress ?? []).forEach((r, i) => {
        if (r.source?.services && !r.source.services.namespace) {
          report(['ingress', i, 'source', 'services', 'namespace'], 'must specify a namespace');
        }
      });
    });
  }
  return checks;
}

/** GlobalNetworkPolicy CEL rules on untracked and pre-DNAT policy. */
export const globalPolicyFlagRules: StructRule<PolicySpecView> = (spec, report) => {
  if (spec.preDNAT && spec.doNotTrack) report(['preDNAT'], 'preDNAT and doNotTrack cannot both be true');
  if (spec.preDNAT && (spec.egress?.length ?? 0) > 0) report(['egress'], 'preDNAT policy cannot have any egress rules');
  if (spec.preDNAT && spec.types?.includes('Egress')) report(['types'], "preDNAT policy cannot have 'Egress' type");
  if ((spec.preDNAT || spec.doNotTrack) && !spec.applyOnForward) {
    report(['applyOnForward'], 'applyOnForward must be true if either preDNAT or doNotTrack is true');
  }
};

/**
 * The staged kinds' rule: a staged deletion carries nothing but its tier; any other staged
 * action is checked like the policy it would become (`specRules`).
 */
export function stagedRules(fields: Fields, specRules: readonly StructRule<PolicySpecView>[]): StructRule<PolicySpecView> {
  return (spec, report) => {
    if (spec.stagedAction !== 'Delete') {
      for (const rule of specRules) rule(spec, report);
      return;
    }
    const values = spec as Readonly<Record<string, unknown>>;
    const set = Object.entries(fields).some(([name, f]) =>
      name !== 'stagedAction' && name !== 'tier' && !isZeroMember(asField(f as never), values[name]));
    if (set) report([], 'Spec fields, except Tier, should all be zero-value if stagedAction is Delete');
  };
}

/**
 * Client defaulting on create and update: infer `types` from which rule lists are present when
 * it is empty, and set the tier label to the policy's tier.
 */
export function defaultPolicy(res: Resource): Resource {
  const spec: Record<string, unknown> = { ...res.spec };
  const present = (k: string) => Array.isArray(spec[k]) && (spec[k] as unknown[]).length > 0;
  if (!present('types')) {
    spec.types = !present('egress') ? ['Ingress'] : !present('ingress') ? ['Egress'] : ['Ingress', 'Egress'];
  }
  const tierName = typeof spec.tier === 'string' && spec.tier !== '' ? spec.tier : 'default';
  const labels = { ...res.metadata?.labels, [TIER_LABEL]: tierName };
  return { ...res, metadata: { ...res.metadata, labels }, spec };
}

/** What the client adds on every read: the tier label, `default` when the stored object has none. */
export function defaultTierLabelIfMissing(res: Resource): Resource {
  if (res.metadata?.labels?.[TIER_LABEL] !== undefined) return res;
  return { ...res, metadata: { ...res.metadata, labels: { ...res.metadata?.labels, [TIER_LABEL]: 'default' } } };
}
