/**
 * GlobalNetworkPolicy (cluster-scoped): the spec in Go order, its name rule, the CEL rules on
 * untracked and pre-DNAT policy, and defaulting (resources.md §2.2).
 * @module
 */
import { bool } from '../schema/scalars.ts';
import { defineKind } from '../schema/kind.ts';
import { struct } from '../schema/struct.ts';
import { globalNetworkPolicyNameProblems } from '../validation/names.ts';
import {
  defaultPolicy, defaultTierLabelIfMissing, globalPolicyFlagRules, order, performanceHints, policySelector, policySpecRules,
  policyTypes, rules, tier,
} from './policy-common.ts';

/** The members of `GlobalNetworkPolicySpec`, in Go order (StagedGlobalNetworkPolicy reuses them). */
export const globalNetworkPolicyFields = {
  tier,
  order,
  ingress: rules,
  egress: rules,
  selector: policySelector,
  types: policyTypes,
  doNotTrack: bool(),
  preDNAT: bool(),
  applyOnForward: bool(),
  serviceAccountSelector: policySelector,
  namespaceSelector: policySelector,
  performanceHints,
};

/** `GlobalNetworkPolicySpec`. */
export const GlobalNetworkPolicySpec = struct('GlobalNetworkPolicySpec', globalNetworkPolicyFields, {
  rules: [...policySpecRules(true), globalPolicyFlagRules],
});

/** The GlobalNetworkPolicy kind. */
export const GlobalNetworkPolicy = defineKind({
  kind: 'GlobalNetworkPolicy',
  spec: GlobalNetworkPolicySpec,
  nameRule: globalNetworkPolicyNameProblems,
  createDefaults: defaultPolicy,
  readDefaults: defaultTierLabelIfMissing,
});
