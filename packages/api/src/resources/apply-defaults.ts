/**
 * Client-side defaulting (resources.md §1.8 step 1 and §2): what Calico's client fills in on
 * create and update — policy `types`, the tier label, Tier order and default action — plus
 * the CRD schema defaults that validation applies in place; and what it adds to what it reads.
 * @module
 */
import { applySchemaDefaults } from '../schema/kind.ts';
import { kindSchema } from './registry.ts';
import type { Resource } from './types.ts';

/**
 * The resource as Calico's client would store it after defaulting on create or update. Pure:
 * returns a new object (or `res` when nothing applies). Kinds without a schema are returned as is.
 *
 * @example
 * applyCreateDefaults({ apiVersion, kind: 'NetworkPolicy', metadata: { name: 'p', namespace: 'ns' }, spec: {} })
 * // spec: { tier: 'default', types: ['Ingress'] }, labels: { 'projectcalico.org/tier': 'default' }
 */
export function applyCreateDefaults(res: Resource): Resource {
  const schema = kindSchema(res.kind);
  if (!schema) return res;
  const defaulted = schema.createDefaults ? schema.createDefaults(res) : res;
  return applySchemaDefaults(schema, defaulted);
}

/**
 * What Calico's client adds to resources it reads: the `projectcalico.org/tier` label on
 * policies that lack it, and (for list results) Tier order and default action. Pure.
 */
export function applyReadDefaults(res: Resource, options: { readonly listing?: boolean } = {}): Resource {
  const schema = kindSchema(res.kind);
  return schema?.readDefaults ? schema.readDefaults(res, options.listing ?? false) : res;
}
