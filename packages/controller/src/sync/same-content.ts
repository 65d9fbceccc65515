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
  return resourceDataEqual('NetworkPolicy', { spec: stored.spec }, { spec: desired.spec });
}
