/**
 * OpenStack region names and what they become in the datastore (spec §1.4): the region
 * string of the legacy key paths (`no-region` / `region-<name>`) and the v3 namespace of
 * the region's resources (`openstack` / `openstack-region-<name>`). Felix computes the same
 * strings from its `OpenstackRegion`, so the two must agree byte for byte.
 * @module
 */

/** Region string when no region is configured. */
export const NO_REGION = 'no-region';
/** Prefix of a configured region's region string. */
export const REGION_PREFIX = 'region-';
/** Namespace when no region is configured. */
export const NO_REGION_NAMESPACE = 'openstack';
/** Prefix of a configured region's namespace (followed by the region string). */
export const REGION_NAMESPACE_PREFIX = 'openstack-';
/** Longest region name: the namespace `openstack-region-<name>` must fit a 63-character DNS label. */
export const MAX_REGION_LENGTH = 63 - (REGION_NAMESPACE_PREFIX + REGION_PREFIX).length;

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/**
 * Why `region` cannot be used as a region name, or undefined when it can. The empty string
 * means "no region" and is valid.
 */
export function regionProblem(region: string): string | undefined {
  if (region === '') return undefined;
  if (region.length > MAX_REGION_LENGTH) {
    return `a region name must be at most ${MAX_REGION_LENGTH} characters, so that the namespace "${REGION_NAMESPACE_PREFIX}${REGION_PREFIX}<region>" is a valid DNS label (this one has ${region.length})`;
  }
  if (!DNS_LABEL.test(region)) {
    return 'a region name must be a DNS label: lower-case letters, digits and "-", starting and ending with a letter or digit';
  }
  return undefined;
}

/** The region string of legacy key paths: `no-region` for none (undefined or ""), else `region-<name>`. */
export function regionString(region: string | undefined): string {
  return region ? REGION_PREFIX + region : NO_REGION;
}

/** The v3 namespace of a region's OpenStack resources: `openstack` or `openstack-region-<name>`. */
export function regionNamespace(region: string | undefined): string {
  return region ? REGION_NAMESPACE_PREFIX + regionString(region) : NO_REGION_NAMESPACE;
}
