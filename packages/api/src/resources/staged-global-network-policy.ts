/**
 * StagedGlobalNetworkPolicy (cluster-scoped): a GlobalNetworkPolicy proposed but not enforced.
 * `stagedAction` says what would happen to it; a staged `Delete` carries nothing but its tier.
 * @module
 */
import { bool } from '../schema/scalars.ts';
import { defineKind } from '../schema/kind.ts';
import { struct } from '../schema/struct.ts';
import { globalNetworkPolicyNameProblems } from '../validation/names.ts';
import {
  defaultPolicy, defaultTierLabelIfMissing, globalPolicyFlagRules, order, performanceHints, policySelector, policySpecRules,
  policyTypes, rules, stagedAction, stagedRules, tier,
} from './policy-common.ts';

const fields = {
  stagedAction,
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

/** `StagedGlobalNetworkPolicySpec`. */
export const StagedGlobalNetworkPolicySpec = struct('StagedGlobalNetworkPolicySpec', fields, {
  // The flag rules are CEL on the spec, so they hold for every staged action.
  rules: [stagedRules(fields, policySpecRules(true)), globalPolicyFlagRules],
});

/** The StagedGlobalNetworkPolicy kind. */
export const StagedGlobalNetworkPolicy = defineKind({
  kind: 'StagedGlobalNetworkPolicy',
  spec: StagedGlobalNetworkPolicySpec,
  nameRule: globalNetworkPolicyNameProblems,
  createDefaults: defaultPolicy,
  readDefaults: defaultTierLabelIfMissing,
});
