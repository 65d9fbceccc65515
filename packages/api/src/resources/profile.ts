/**
 * Profile (cluster-scoped): rules and labels shared by the endpoints that name it
 * (resources.md §2.4). Calico has no CRD for Profile; its rules still get the Rule checks.
 * @module
 */
import { list, map } from '../schema/collections.ts';
import { defineKind } from '../schema/kind.ts';
import { string } from '../schema/scalars.ts';
import { struct } from '../schema/struct.ts';
import { labelKey, labelValue } from '../validation/labels.ts';
import { Rule } from './rule.ts';

/** `ProfileSpec`. */
export const ProfileSpec = struct('ProfileSpec', {
  ingress: list(Rule),
  egress: list(Rule),
  labelsToApply: map(string({ check: labelValue }), { key: labelKey }),
});

/** The Profile kind. */
export const Profile = defineKind({
  kind: 'Profile',
  spec: ProfileSpec,
});
