/**
 * The shape of a v3 resource as it travels through Percale: plain JSON-compatible
 * objects, exactly as a user writes them and as they are stored in etcd.
 * @module
 */

/** Kubernetes-style object metadata, the subset Calico uses in etcd mode. */
export interface ObjectMeta {
  name?: string;
  generateName?: string;
  namespace?: string;
  selfLink?: string;
  uid?: string;
  resourceVersion?: string;
  generation?: number;
  creationTimestamp?: string;
  deletionTimestamp?: string;
  deletionGracePeriodSeconds?: number;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  ownerReferences?: unknown[];
  finalizers?: string[];
  managedFields?: unknown[];
}

/** Any v3 resource: the envelope is typed, the spec is kind-specific JSON. */
export interface Resource<Spec = Record<string, unknown>> {
  apiVersion: string;
  kind: string;
  metadata: ObjectMeta;
  spec?: Spec;
  status?: Record<string, unknown>;
}

/** A `<Kind>List` object as calicoctl prints and reads it. */
export interface ResourceList {
  apiVersion: string;
  kind: string;
  metadata: { resourceVersion?: string };
  items: Resource[];
}

/** Identifies one stored resource. `namespace` is absent for cluster-scoped kinds. */
export interface ResourceKey {
  kind: string;
  namespace?: string;
  name: string;
}

/** `Kind(ns/name)` or `Kind(name)`: how Calico names a resource in messages. */
export function describeKey(key: ResourceKey): string {
  return key.namespace ? `${key.kind}(${key.namespace}/${key.name})` : `${key.kind}(${key.name})`;
}
