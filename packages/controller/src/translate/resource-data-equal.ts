/**
 * The resync's "is etcd already right?" test (spec §9.1): compares what the controller would
 * write with what is stored, as Calico's readers would see them. Values are first normalised
 * the way a stored value round-trips through Calico's decoder, so formatting choices of the
 * writer (networking-calico's `"17"` or Go's `17`, ports as `"80"` or `80`, member order,
 * empty lists written or omitted) never count as differences.
 * @module
 */
import { API_VERSION, decodeResource } from '@percale/api';

/** The parts of a resource the resync compares. Absent labels or annotations mean none. */
export interface ResourceData {
  spec?: unknown;
  labels?: Readonly<Record<string, string | null>> | null;
  annotations?: Readonly<Record<string, string | null>> | null;
}

/**
 * True when `a` and `b` (of kind `kind`, e.g. `WorkloadEndpoint`) have the same spec, labels
 * and annotations once normalised. For NetworkPolicies pass only the spec, as networking-calico
 * compares only the spec (the datastore adds a name annotation to policies).
 */
export function resourceDataEqual(kind: string, a: ResourceData, b: ResourceData): boolean {
  return deepEqual(normalise(kind, a), normalise(kind, b));
}

/** The comparable form: Calico's canonical decode (protocols, ports), then empty values dropped. */
function normalise(kind: string, data: ResourceData): unknown {
  // Go reads a null label value as "" (networking-calico writes a missing project parent as null).
  const labels = stringMap(data.labels);
  const annotations = stringMap(data.annotations);
  let spec: unknown = data.spec ?? {};
  const { resource } = decodeResource(
    { apiVersion: API_VERSION, kind, metadata: { name: 'compare' }, spec },
    { unknownFields: 'keep' },
  );
  // A spec Calico cannot decode is compared as written.
  if (resource) spec = resource.spec;
  return { spec: dropEmpty(spec), labels, annotations };
}

function stringMap(map: Readonly<Record<string, string | null>> | null | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(map ?? {})) out[k] = v ?? '';
  return out;
}

/** Drops null members, empty lists and empty objects, which Go readers treat as absent. */
function dropEmpty(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(dropEmpty);
  if (value === null || typeof value !== 'object') return value;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    const d = dropEmpty(v);
    if (d === null || d === undefined) continue;
    if (Array.isArray(d) && d.length === 0) continue;
    if (typeof d === 'object' && !Array.isArray(d) && Object.keys(d).length === 0) continue;
    out[k] = d;
  }
  return out;
}

/** Structural equality; object member order is ignored, array order is not. */
function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a)) {
    const bb = b as unknown[];
    return a.length === bb.length && a.every((v, i) => deepEqual(v, bb[i]));
  }
  const ka = Object.keys(a);
  const kb = Object.keys(b);
  if (ka.length !== kb.length) return false;
  return ka.every((k) => Object.hasOwn(b, k) && deepEqual((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]));
}
