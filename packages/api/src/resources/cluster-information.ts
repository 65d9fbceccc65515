/**
 * ClusterInformation (cluster-scoped, always named `default`): the cluster's GUID, type tags,
 * Calico version and datastore-ready flag (resources.md §4.6). Calico's client refuses any
 * other name; Percale applies that as a name rule.
 * @module
 */
import { defineKind } from '../schema/kind.ts';
import { bool, string } from '../schema/scalars.ts';
import { pointer, struct } from '../schema/struct.ts';

/** The one name a ClusterInformation may have. */
export const CLUSTER_INFORMATION_NAME = 'default';

/** `ClusterInformationSpec`. */
export const ClusterInformationSpec = struct('ClusterInformationSpec', {
  clusterGUID: string(),
  clusterType: string(),
  calicoVersion: string(),
  datastoreReady: pointer(bool()),
  variant: string(),
});

/** The ClusterInformation kind. */
export const ClusterInformation = defineKind({
  kind: 'ClusterInformation',
  spec: ClusterInformationSpec,
  nameRule: (name) => (name === CLUSTER_INFORMATION_NAME ? []
    : [`Cannot create a Cluster Information resource with a name other than "${CLUSTER_INFORMATION_NAME}"`]),
});
