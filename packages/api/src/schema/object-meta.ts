/**
 * Kubernetes `ObjectMeta` as a schema struct, in the member order Go writes it. Its checks
 * (names, labels, annotations) are Calico rules and live in `validation/metadata.ts`.
 * @module
 */
import { list, map } from './collections.ts';
import { bool, int, raw, string, time } from './scalars.ts';
import { always, pointer, struct } from './struct.ts';

const OwnerReference = struct('OwnerReference', {
  apiVersion: always(string()),
  kind: always(string()),
  name: always(string()),
  uid: always(string()),
  controller: pointer(bool()),
  blockOwnerDeletion: pointer(bool()),
});

const ManagedFieldsEntry = struct('ManagedFieldsEntry', {
  manager: string(),
  operation: string(),
  apiVersion: string(),
  time: pointer(time()),
  fieldsType: string(),
  fieldsV1: pointer(raw()),
  subresource: string(),
});

/** `metav1.ObjectMeta`. `creationTimestamp` is a struct in Go, so an absent one is written as `null`. */
export const ObjectMeta = struct('ObjectMeta', {
  name: string(),
  generateName: string(),
  namespace: string(),
  selfLink: string(),
  uid: string(),
  resourceVersion: string(),
  generation: int({ go: 'int64' }),
  creationTimestamp: time(),
  deletionTimestamp: pointer(time()),
  deletionGracePeriodSeconds: pointer(int({ go: 'int64' })),
  labels: map(string()),
  annotations: map(string()),
  ownerReferences: list(OwnerReference),
  finalizers: list(string()),
  managedFields: list(ManagedFieldsEntry),
});

/** `metav1.Condition`, as used in resource status. */
export const Condition = struct('Condition', {
  type: always(string()),
  status: always(string()),
  observedGeneration: int({ go: 'int64' }),
  lastTransitionTime: always(time()),
  reason: always(string()),
  message: always(string()),
});
