/**
 * The update every node of the calculation graph receives: one resource, present or absent.
 * The validation filter builds it from a datastore `WatchEvent`; downstream of the filter a
 * resource is either valid or absent, and whether an update was an add or a modify is never
 * used to decide anything (Felix's rule: a nil value means the object is absent).
 * @module
 */
import type { Resource } from '@percale/api';

/** One resource's current state. */
export interface Update {
  /** The v3 kind, e.g. `WorkloadEndpoint`. */
  readonly kind: string;
  /** `namespace/name` for namespaced kinds, `name` otherwise; unique within the kind. */
  readonly key: string;
  readonly name: string;
  /** Empty for cluster-scoped kinds. */
  readonly namespace: string;
  /** The resource, or undefined when it is absent (deleted, or invalid). */
  readonly resource: Resource | undefined;
}
