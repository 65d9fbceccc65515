/**
 * The controller's share of the global ClusterInformation `default` (spec §9.1, felix_config
 * phase): other orchestrators own the same resource, so the controller only fills in what is
 * missing and never overwrites what they set.
 * @module
 */

/** A merge result: the spec to write and whether it differs from what was read. */
export interface MergeResult {
  spec: Record<string, unknown>;
  changed: boolean;
}

/** A new cluster GUID as networking-calico makes them: a random UUID v4 as 32 lower-case hex digits. */
export function newClusterGUID(): string {
  return crypto.randomUUID().replaceAll('-', '');
}

/**
 * Merges the controller's requirements into an existing ClusterInformation spec (undefined or
 * unreadable: start from `{}`): a GUID if there is none, `openstack` in `clusterType` (appended
 * as `,openstack` to another orchestrator's type), and `datastoreReady: true` only when the
 * member is absent — an explicit `false` means another orchestrator paused Calico. Write only
 * when `changed`. The input is not modified.
 */
export function mergeClusterInformation(
  existing: Readonly<Record<string, unknown>> | undefined,
  options: { newGUID?: () => string } = {},
): MergeResult {
  const spec: Record<string, unknown> = { ...existing };
  let changed = false;
  if (!spec.clusterGUID) {
    spec.clusterGUID = (options.newGUID ?? newClusterGUID)();
    changed = true;
  }
  const clusterType = typeof spec.clusterType === 'string' ? spec.clusterType : '';
  if (!clusterType) {
    spec.clusterType = 'openstack';
    changed = true;
  } else if (!clusterType.includes('openstack')) {
    spec.clusterType = `${clusterType},openstack`;
    changed = true;
  }
  if (!('datastoreReady' in spec)) {
    spec.datastoreReady = true;
    changed = true;
  }
  return { spec, changed };
}
