/**
 * Tier (cluster-scoped): an ordered group of policies with a default action (resources.md
 * §2.3). The built-in tiers' order and action are fixed by CEL rules; the client fills in a
 * missing order and action on write and when listing.
 * @module
 */
import { list } from '../schema/collections.ts';
import { defineKind } from '../schema/kind.ts';
import { Condition } from '../schema/object-meta.ts';
import { enumOf, float } from '../schema/scalars.ts';
import { defaulted, pointer, struct } from '../schema/struct.ts';
import { tierNameProblems } from '../validation/names.ts';
import type { Resource } from './types.ts';

/** Order Calico gives a tier created without one (and the `default` tier's fixed order). */
export const DEFAULT_TIER_ORDER = 1_000_000;

/** The built-in tiers and the order and default action Calico pins them to. */
export const BUILTIN_TIERS: Readonly<Record<string, { readonly order: number; readonly defaultAction: 'Deny' | 'Pass' }>> = {
  'kube-admin': { order: 1_000, defaultAction: 'Pass' },
  default: { order: DEFAULT_TIER_ORDER, defaultAction: 'Deny' },
  'kube-baseline': { order: 10_000_000, defaultAction: 'Pass' },
};

/** `TierSpec`. */
export const TierSpec = struct('TierSpec', {
  order: pointer(float()),
  defaultAction: defaulted(pointer(enumOf(['Deny', 'Pass'])), 'Deny'),
});

/** `TierStatus`; a struct value in Go, so it is written (as `{}`) even when empty. */
export const TierStatus = struct('TierStatus', {
  conditions: list(Condition),
});

/** Client defaulting: a tier without order gets 1000000, without action `Deny`. */
function defaultTier(res: Resource): Resource {
  const spec = res.spec ?? {};
  if (spec.order !== undefined && spec.defaultAction !== undefined) return res;
  return { ...res, spec: { ...spec, order: spec.order ?? DEFAULT_TIER_ORDER, defaultAction: spec.defaultAction ?? 'Deny' } };
}

/** The Tier kind. */
export const Tier = defineKind({
  kind: 'Tier',
  spec: TierSpec,
  status: TierStatus,
  nameRule: tierNameProblems,
  rules: [
    // CEL: the built-in tiers keep their order and default action.
    (tier, report) => {
      const name = tier.metadata.name ?? '';
      const builtin = BUILTIN_TIERS[name];
      if (!builtin) return;
      if (tier.spec.defaultAction !== builtin.defaultAction) {
        report(['spec', 'defaultAction'], `The '${name}' tier must have default action '${builtin.defaultAction}'`, tier.spec.defaultAction);
      }
      if (tier.spec.order !== builtin.order) {
        report(['spec', 'order'], `${name} tier order must be ${builtin.order}`, tier.spec.order);
      }
    },
  ],
  createDefaults: defaultTier,
  readDefaults: (res, listing) => (listing ? defaultTier(res) : res),
});
