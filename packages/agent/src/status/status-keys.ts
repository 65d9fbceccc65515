/**
 * Calico's status key layout under `/calico/felix/v2/`: the region string, the agent's
 * heartbeat keys and the per-endpoint status keys the Neutron driver reads
 * (`libcalico-go/lib/backend/model/statusreports.go`, `workloadendpointstatus.go`).
 * @module
 */

/** `region-<name>`, or `no-region` when OpenstackRegion is empty. */
export function regionString(region: string): string {
  return region === '' ? 'no-region' : `region-${region}`;
}

/** `%` → `%25` and `/` → `%2f`, as Calico escapes key components. */
export function escapeKeyPart(part: string): string {
  return part.replaceAll('%', '%25').replaceAll('/', '%2f');
}

/** The inverse of `escapeKeyPart`. */
export function unescapeKeyPart(part: string): string {
  return part.replaceAll('%2f', '/').replaceAll('%25', '%');
}

function hostRoot(region: string, hostname: string): string {
  if (hostname === '') throw new TypeError('Cannot build a status key: the hostname is empty');
  return `/calico/felix/v2/${regionString(region)}/host/${hostname}`;
}

/** The heartbeat key, written with a lease of ReportingTTLSecs. */
export function activeStatusKey(region: string, hostname: string): string {
  return `${hostRoot(region, hostname)}/status`;
}

/** The last heartbeat, kept without a lease. */
export function lastReportedStatusKey(region: string, hostname: string): string {
  return `${hostRoot(region, hostname)}/last_reported_status`;
}

/** Identifies a workload endpoint in Felix's v1 terms. */
export interface EndpointStatusID {
  orchestrator: string;
  /** `<namespace>/<workload>`, e.g. `openstack-region-r1/<instance uuid>`. */
  workload: string;
  endpoint: string;
}

/** Where this host's endpoint status keys live (ends in `/`). */
export function endpointStatusPrefix(region: string, hostname: string): string {
  return `${hostRoot(region, hostname)}/workload/`;
}

/** `…/workload/<orchestrator>/<workload>/endpoint/<endpoint>`, each part escaped. */
export function endpointStatusKey(region: string, hostname: string, id: EndpointStatusID): string {
  if (!id.orchestrator || !id.workload || !id.endpoint) {
    throw new TypeError(`Cannot build an endpoint status key: orchestrator, workload and endpoint are all required, got ${JSON.stringify(id)}`);
  }
  return `${endpointStatusPrefix(region, hostname)}${escapeKeyPart(id.orchestrator)}/${escapeKeyPart(id.workload)}/endpoint/${escapeKeyPart(id.endpoint)}`;
}
