/**
 * StagedNetworkPolicy (namespaced): a NetworkPolicy proposed but not enforced. `stagedAction`
 * says what would happen to it; a staged `Delete` carries nothing but its tier.
 * @module
 */
import { defineKind } from '../schema/kind.ts';
import { struct } from '../schema/struct.ts';
import { networkPolicyNameProblems } from '../validation/names.ts';
import { networkPolicyFields } from './network-policy.ts';
import { defaultPolicy, defaultTierLabelIfMissing, policySpecRules, stagedAction, stagedRules } from './policy-common.ts';

// Go declares StagedAction first, then NetworkPolicySpec's members.
const fields = { stagedAction, ...networkPolicyFields };

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
