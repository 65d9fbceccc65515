/**
 * The resync's and dynamic sync's "is the datastore already right?" tests. They compare as
 * Calico's readers see the data (translate's `resourceDataEqual`): a protocol stored as `17`
 * equals Neutron's `"17"`, omitted empty lists equal written ones, but every label counts —
 * a label whose value is `""` is not the same as a missing one, so resync restores it.
 * @module
 */
import type { Resource } from '@percale/api';
import { resourceDataEqual } from '../translate/resource-data-equal.ts';

/** True when the stored endpoint already says what `desired` says: spec, labels and annotations. */
export function endpointMatches(stored: Resource, desired: Resource): boolean {
  if (!sameStrings(stored.metadata.labels, desired.metadata.labels) || !sameStrings(stored.metadata.annotations, desired.metadata.annotations)) return false;
  // Equal as written (empty members aside) is equal as decoded; only a difference needs Calico's decoding.
  if (sameWritten(stored.spec, desired.spec)) return true;
  return resourceDataEqual(
    'WorkloadEndpoint',
    { spec: stored.spec, labels: stored.metadata.labels, annotations: stored.metadata.annotations },
    { spec: desired.spec, labels: desired.metadata.labels, annotations: desired.metadata.annotations },
  );
}

/**
 * True when the stored policy's spec equals `desired`'s. Only the spec counts, as in
 * networking-calico: the datastore adds metadata of its own to policies.
 */
export function policyMatches(stored: Resource, desired: Resource): boolean {
  return sameWritten(stored.spec, desired.spec) || resourceDataEqual('NetworkPolicy', { spec: stored.spec }, { spec: desired.spec });
}

/**
 * True when the stored LiveMigration's spec equals `desired`'s (networking-calico compares LMs
 * by spec; the spec is strings only, so equal as written is equal as decoded).
 */
export function liveMigrationMatches(stored: Resource, desired: Resource): boolean {
  return sameWritten(stored.spec, desired.spec);
}

/** Label or annotation maps with exactly the same members (a null value reads as "", as in Go). */
function sameStrings(a: Readonly<Record<string, string | null>> | null | undefined, b: Readonly<Record<string, string | null>> | null | undefined): boolean {
  const ea = Object.entries(a ?? {});
  if (ea.length !== Object.keys(b ?? {}).length) return false;
  return ea.every(([k, v]) => Object.hasOwn(b!, k) && (v ?? '') === (b![k] ?? ''));
}

function isEmptyMember(v: unknown): boolean {
  if (v === null || v === undefined) return true;
  if (Array.isArray(v)) return v.length === 0;
  return typeof v === 'object' && Object.keys(v).length === 0;
}

/**
 * Structural equality of two values as written, member order ignored and null, `[]` and `{}`
 * members taken as absent (Go's `omitempty`); `""` and every scalar must match exactly. A
 * cheap sufficient test: values equal here decode alike.
 */
function sameWritten(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) || Array.isArray(b)) {
    if (!Array.isArray(a) || !Array.isArray(b) || a.length !== b.length) return false;
    return a.every((v, i) => sameWritten(v, b[i]));
  }
  const ao = a as Record<string, unknown>;
  const bo = b as Record<string, unknown>;
  for (const k in ao) {
    if (isEmptyMember(ao[k])) {
      if (!isEmptyMember(bo[k])) return false;
    } else if (!sameWritten(ao[k], bo[k])) return false;
  }
  for (const k in bo) if (!(k in ao) && !isEmptyMember(bo[k])) return false;
  return true;
}
