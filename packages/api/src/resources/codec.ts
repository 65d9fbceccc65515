/**
 * The resource codec: how a resource is written as JSON for storage and output.
 * Go's encoder writes struct fields in declaration order and omits empty optional
 * members; Percale writes the same bytes so Calico and Percale read each other's data.
 * @module
 */
import type { ObjectMeta, Resource } from './types.ts';

// Field order of Kubernetes ObjectMeta as Go serialises it.
const META_ORDER: readonly (keyof ObjectMeta)[] = [
  'name', 'generateName', 'namespace', 'selfLink', 'uid', 'resourceVersion', 'generation',
  'creationTimestamp', 'deletionTimestamp', 'deletionGracePeriodSeconds', 'labels', 'annotations',
  'ownerReferences', 'finalizers', 'managedFields',
];

function isEmpty(v: unknown): boolean {
  if (v === undefined || v === null || v === '' || v === 0 || v === false) return true;
  if (Array.isArray(v)) return v.length === 0;
  if (typeof v === 'object') return Object.keys(v as object).length === 0;
  return false;
}

function sortedMap(m: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const k of Object.keys(m).sort()) out[k] = m[k]!;
  return out;
}

/** Metadata in Go field order, empty members dropped, label/annotation keys sorted. */
export function orderedMetadata(meta: ObjectMeta): ObjectMeta {
  const out: Record<string, unknown> = {};
  for (const field of META_ORDER) {
    const v = meta[field];
    if (isEmpty(v)) continue;
    out[field] = field === 'labels' || field === 'annotations' ? sortedMap(v as Record<string, string>) : v;
  }
  return out as ObjectMeta;
}

/**
 * The resource as Go would serialise it: `kind`, `apiVersion`, `metadata`, `spec`,
 * `status`, in that order. (Spec field order is the caller's until kind schemas
 * take over ordering.)
 */
export function orderedResource(res: Resource): Resource {
  const out: Record<string, unknown> = { kind: res.kind, apiVersion: res.apiVersion, metadata: orderedMetadata(res.metadata ?? {}) };
  out.spec = res.spec ?? {};
  if (res.status && !isEmpty(res.status)) out.status = res.status;
  return out as unknown as Resource;
}

/** Compact JSON in Go's field order: the exact bytes Percale stores in etcd. */
export function encodeResource(res: Resource): string {
  return JSON.stringify(orderedResource(res));
}
