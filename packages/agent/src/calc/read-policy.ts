/**
 * Reads where a stored NetworkPolicy or GlobalNetworkPolicy applies and how it sorts (Calico's
 * policy update processors and `ExtractPolicyMetadata`). Rules are kept raw and parsed only
 * while the policy is active. Nothing here throws; fields that cannot be read are handled so
 * the result is no more permissive than the stored intent where that can be decided:
 * - an unreadable selector (or namespace/service-account selector) leaves the policy applying
 *   to no endpoint — it cannot be placed. Calico drops such a policy too; for allow-only
 *   policies (every security-group policy) that is closed, for a deny policy it leaves its
 *   endpoints to the remaining policies, as in Calico;
 * - `types` absent, empty or without a recognised entry: both directions (Calico: both when
 *   absent; an unrecognised list would govern nothing there, which could only open traffic);
 * - `order` that is not a finite number: unset (sorts last); `tier` not a name: `default`.
 * @module
 */
import type { Selector } from '@percale/api';
import type { PolicyID } from '../messages.ts';
import { globalNetworkPolicySelector, networkPolicySelector } from './effective-selectors.ts';
import type { Update } from './update.ts';

/** A policy's placement and sort data, with its raw rules. */
export interface PolicyModel {
  readonly id: PolicyID;
  /** Endpoints it applies to; undefined when that cannot be read (it then applies to none). */
  readonly selector: Selector | undefined;
  readonly tier: string;
  /** `Infinity` when unset. */
  readonly order: number;
  readonly ingress: boolean;
  readonly egress: boolean;
  readonly untracked: boolean;
  readonly preDNAT: boolean;
  readonly applyOnForward: boolean;
  /** Namespace that scopes rule selectors ('' for global policies). */
  readonly namespace: string;
  readonly rawIngress: unknown;
  readonly rawEgress: unknown;
}

function types(value: unknown): { ingress: boolean; egress: boolean } {
  let ingress = false;
  let egress = false;
  if (Array.isArray(value)) {
    for (const t of value) {
      if (typeof t !== 'string') continue;
      const lower = t.toLowerCase();
      if (lower === 'ingress') ingress = true;
      else if (lower === 'egress') egress = true;
    }
  }
  return ingress || egress ? { ingress, egress } : { ingress: true, egress: true };
}

/** Reads a present NetworkPolicy or GlobalNetworkPolicy. */
export function readPolicy(update: Update): PolicyModel {
  const global = update.kind === 'GlobalNetworkPolicy';
  const raw: unknown = update.resource?.spec;
  const spec = (typeof raw === 'object' && raw !== null && !Array.isArray(raw) ? raw : {}) as Record<string, unknown>;
  // A spec that is not an object cannot be placed.
  const placeable = raw === undefined || raw === null || spec === raw;
  const selector = !placeable ? undefined
    : global ? globalNetworkPolicySelector(spec.selector, spec.namespaceSelector, spec.serviceAccountSelector)
      : networkPolicySelector(update.namespace, spec.selector, spec.serviceAccountSelector);
  const tier = typeof spec.tier === 'string' && spec.tier !== '' ? spec.tier : 'default';
  const order = typeof spec.order === 'number' && Number.isFinite(spec.order) ? spec.order : Infinity;
  return {
    id: global ? { kind: 'GlobalNetworkPolicy', name: update.name } : { kind: 'NetworkPolicy', namespace: update.namespace, name: update.name },
    selector,
    tier,
    order,
    ...types(spec.types),
    untracked: global && spec.doNotTrack === true,
    preDNAT: global && spec.preDNAT === true,
    applyOnForward: global && spec.applyOnForward === true,
    namespace: global ? '' : update.namespace,
    rawIngress: spec.ingress,
    rawEgress: spec.egress,
  };
}
