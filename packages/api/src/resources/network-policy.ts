/**
 * NetworkPolicy (namespaced): the spec in Go order, its name rule and defaulting
 * (resources.md §2.2). Rules are shared with the other policy kinds in `policy-common.ts`.
 * @module
 */
import { defineKind } from '../schema/kind.ts';
import { struct } from '../schema/struct.ts';
import { networkPolicyNameProblems } from '../validation/names.ts';
import {
  defaultPolicy, defaultTierLabelIfMissing, order, performanceHints, policySelector, policySpecRules, policyTypes, rules, tier,
} from './policy-common.ts';

/** The members of `NetworkPolicySpec`, in Go order (StagedNetworkPolicy reuses them). */
export const networkPolicyFields = {
  tier,
  order,
  ingress: rules,
  egress: rules,
  selector: policySelector,
  types: policyTypes,
  serviceAccountSelector: policySelector,
  performanceHints,
};

/** `NetworkPolicySpec`. */
export const NetworkPolicySpec = struct('NetworkPolicySpec', networkPolicyFields, {
  rules: policySpecRules(false),
});

/** The NetworkPolicy kind. */
export const NetworkPolicy = defineKind({
  kind: 'NetworkPolicy',
  spec: NetworkPolicySpec,
  nameRule: networkPolicyNameProblems,
  createDefaults: defaultPolicy,
  readDefaults: defaultTierLabelIfMissing,
});
