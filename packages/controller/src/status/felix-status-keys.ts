/**
 * The keys Felix writes its status under (spec §3 K8–K11, §8.1–8.2) and how the status
 * bridge reads them: one region's `/calico/felix/v2/<rs>/host/` subtree, where only a host's
 * `status` heartbeat and its OpenStack endpoints' status keys mean anything.
 * @module
 */

/** The status subtree of one region, with its trailing "/". */
export function felixStatusPrefix(regionString: string): string {
  return `/calico/felix/v2/${regionString}/host/`;
}

/** The key the status bridge rewrites every few seconds so that a healthy watch is never silent (K11). */
export function roundTripCheckKey(regionString: string): string {
  return `${felixStatusPrefix(regionString)}round-trip-check`;
}

/** What a key under the status prefix is. */
export type FelixStatusKey =
  | { kind: 'heartbeat'; host: string }
  | {
      kind: 'endpoint';
      host: string;
      /** The workload segment as Felix wrote it (escaped), e.g. `openstack%2finstance-1`. */
      workload: string;
      /** The endpoint id unescaped: the Neutron port id. */
      portId: string;
    };

/**
 * Classifies a key under `prefix`: `<host>/status` or
 * `<host>/workload/openstack/<workload>/endpoint/<endpoint>`. Anything else (the
 * `last_reported_status` copy, the round-trip key, other orchestrators) is undefined.
 */
export function parseFelixStatusKey(prefix: string, key: string): FelixStatusKey | undefined {
  if (!key.startsWith(prefix)) return undefined;
  const segments = key.slice(prefix.length).split('/');
  if (segments.some((s) => s === '')) return undefined;
  const [host, kind, orchestrator, workload, endpointLiteral, endpoint] = segments;
  if (segments.length === 2 && kind === 'status') return { kind: 'heartbeat', host: host! };
  if (segments.length === 6 && kind === 'workload' && orchestrator === 'openstack' && endpointLiteral === 'endpoint') {
    return { kind: 'endpoint', host: host!, workload: workload!, portId: unescapeSegment(endpoint!) };
  }
  return undefined;
}

/** Undoes libcalico-go's key-segment escaping (`/` → `%2f`, then `%` → `%25`). */
function unescapeSegment(segment: string): string {
  return segment.replaceAll('%2f', '/').replaceAll('%25', '%');
}
