/**
 * StagedGlobalNetworkPolicy (cluster-scoped): a GlobalNetworkPolicy proposed but not enforced.
 * `stagedAction` says what would happen to it; a staged `Delete` carries nothing but its tier.
 * @module
 */
import { defineKind } from '../schema/kind.ts';
import { struct } from '../schema/struct.ts';
import { globalNetworkPolicyNameProblems } from '../validation/names.ts';
import { globalNetworkPolicyFields } from './global-network-policy.ts';
import { defaultPolicy, defaultTierLabelIfMissing, globalPolicyFlagRules, policySpecRules, stagedAction, stagedRules } from './policy-common.ts';

// Go declares StagedAction first, then GlobalNetworkPolicySpec's members.
const fields = { stagedAction, ...globalNetworkPolicyFields };

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
