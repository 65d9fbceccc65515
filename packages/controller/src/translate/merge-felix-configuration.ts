/**
 * The controller's share of the global FelixConfiguration `default` (spec §9.1): Felix must
 * report endpoint status (the controller turns it into Neutron port status) and must treat
 * `tap*` interfaces as workloads (Nova's tap devices). Everything else is left as found.
 * @module
 */
import type { MergeResult } from './merge-cluster-information.ts';

/**
 * Merges the controller's requirements into an existing FelixConfiguration spec (undefined or
 * unreadable: start from `{}`): `endpointReportingEnabled: true`, and `tap` added to the
 * comma-separated `interfacePrefix` if absent (`cali` → `cali,tap`). Write only when
 * `changed`. The input is not modified.
 */
export function mergeFelixConfiguration(existing: Readonly<Record<string, unknown>> | undefined): MergeResult {
  const spec: Record<string, unknown> = { ...existing };
  let changed = false;
  if (!spec.endpointReportingEnabled) {
    spec.endpointReportingEnabled = true;
    changed = true;
  }
  const prefix = typeof spec.interfacePrefix === 'string' ? spec.interfacePrefix : '';
  const prefixes = prefix ? prefix.split(',') : [];
  if (!prefixes.includes('tap')) {
    spec.interfacePrefix = [...prefixes, 'tap'].join(',');
    changed = true;
  }
  return { spec, changed };
}
