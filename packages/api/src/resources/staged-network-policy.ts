/**
 * StagedNetworkPolicy (namespaced): a NetworkPolicy proposed but not enforced. `stagedAction`
 * says what would happen to it; a staged `Delete` carries nothing but its tier.
 * @module
 */
import { defineKind } from '../schema/kind.ts';
import { struct } from '../schema/struct.ts';
import { networkPolicyNameProblems } from '../validation/names.ts';
import {
  defaultPolicy, defaultTierLabelIfMissing, order, performanceHints, policySelector, policySpecRules, policyTypes, rules,
  stagedAction, stagedRules, tier,
} from './policy-common.ts';

const fields = {
  stagedAction,
  tier,
  order,
  ingress: rules,
  egress: rules,
  selector: policySelector,
  types: policyTypes,
  serviceAccountSelector: policySelector,
  performanceHints,
};

/** `StagedNetworkPolicySpec`. */
export const StagedNetworkPolicySpec = struct('StagedNetworkPolicySpec', fields, {
  rules: [stagedRules(fields, policySpecRules(false))],
});

/** The StagedNetworkPolicy kind. */
export const StagedNetworkPolicy = defineKind({
  kind: 'StagedNetworkPolicy',
  spec: StagedNetworkPolicySpec,
  nameRule: networkPolicyNameProblems,
  createDefaults: defaultPolicy,
  readDefaults: defaultTierLabelIfMissing,
});
