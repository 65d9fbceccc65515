/**
 * WorkloadEndpoint names (resources.md §3.1): the name is the endpoint's identifying spec
 * members joined by `-`, each with its own dashes doubled. Which members depend on the
 * orchestrator: `k8s` uses the pod, `cni` the container ID, `libnetwork` repeats the
 * orchestrator, anything else (e.g. `openstack`) the workload.
 * @module
 */
import { ValidationError } from '../errors.ts';

/** The spec members a WorkloadEndpoint name is built from. Absent members count as empty. */
export interface WorkloadEndpointIdentifiers {
  node?: string;
  orchestrator?: string;
  workload?: string;
  pod?: string;
  containerID?: string;
  endpoint?: string;
}

type IdField = keyof WorkloadEndpointIdentifiers;

const SEGMENTS: Readonly<Record<string, readonly IdField[]>> = {
  k8s: ['node', 'orchestrator', 'pod', 'endpoint'],
  cni: ['node', 'orchestrator', 'containerID', 'endpoint'],
  libnetwork: ['node', 'orchestrator', 'orchestrator', 'endpoint'],
};
const OTHER: readonly IdField[] = ['node', 'orchestrator', 'workload', 'endpoint'];

function segmentsFor(ids: WorkloadEndpointIdentifiers): readonly IdField[] {
  if (!ids.node) throw new ValidationError([{ field: 'node', reason: 'field should be assigned' }]);
  return SEGMENTS[ids.orchestrator ?? ''] ?? OTHER;
}

function escape(field: IdField, value: string): string {
  if (value.startsWith('-')) throw new ValidationError([{ field, value, reason: "field must not begin with a '-'" }]);
  if (value.endsWith('-')) throw new ValidationError([{ field, value, reason: "field must not end with a '-'" }]);
  return value.replaceAll('-', '--');
}

/**
 * The name Calico gives a WorkloadEndpoint with these identifiers, e.g. node `node-1`,
 * orchestrator `k8s`, pod `pod-name`, endpoint `eth0` → `node--1-k8s-pod--name-eth0`.
 * With `allowPrefix`, a missing segment ends the name early (`node--1-k8s-`), for prefix lookups.
 * @throws {ValidationError} naming the identifier that is missing or starts or ends with `-`.
 */
export function workloadEndpointName(ids: WorkloadEndpointIdentifiers, options: { readonly allowPrefix?: boolean } = {}): string {
  const parts: string[] = [];
  for (const field of segmentsFor(ids)) {
    const value = ids[field] ?? '';
    if (value === '') {
      if (options.allowPrefix) return `${parts.join('-')}-`;
      throw new ValidationError([{ field, value, reason: 'field should be assigned' }]);
    }
    parts.push(escape(field, value));
  }
  return parts.join('-');
}

/** Splits a name at single dashes, turning each `--` back into `-`. */
function splitName(name: string): string[] {
  const parts: string[] = [];
  let start = 0;
  for (let i = 1; i < name.length; i++) {
    if (name[i] !== '-') continue;
    if (name[i + 1] === '-' && i < name.length - 1) {
      i++;
      continue;
    }
    parts.push(name.slice(start, i).replaceAll('--', '-'));
    start = i + 1;
  }
  parts.push(name.slice(start).replaceAll('--', '-'));
  return parts;
}

/**
 * True when `name` has exactly the segments these identifiers call for and agrees with every
 * identifier that is set (unset ones match anything).
 * @throws {ValidationError} when `node` is missing.
 */
export function workloadEndpointNameMatches(ids: WorkloadEndpointIdentifiers, name: string): boolean {
  const segments = segmentsFor(ids);
  if (name.length < 2 * segments.length - 1) return false;
  const parts = splitName(name);
  if (parts.length !== segments.length) return false;
  return segments.every((field, i) => !ids[field] || ids[field] === parts[i]);
}

const FIELDS_AFTER_ORCHESTRATOR: Readonly<Record<string, readonly IdField[]>> = {
  k8s: ['pod', 'endpoint'],
  cni: ['containerID', 'endpoint'],
  libnetwork: ['orchestrator', 'endpoint'],
};

/**
 * The identifiers encoded in a WorkloadEndpoint name (all six members, unset ones empty). A
 * prefix such as `node-k8s-pod--name-` gives the identifiers it contains.
 * @throws {SyntaxError} for an empty name or one with more segments than its orchestrator uses.
 */
export function parseWorkloadEndpointName(name: string): Required<WorkloadEndpointIdentifiers> {
  if (name === '') throw new SyntaxError('Cannot parse empty string');
  const parts = splitName(name);
  const ids: Required<WorkloadEndpointIdentifiers> = { node: parts[0]!, orchestrator: '', workload: '', pod: '', containerID: '', endpoint: '' };
  if (parts.length > 1) {
    ids.orchestrator = parts[1]!;
    const fields = FIELDS_AFTER_ORCHESTRATOR[ids.orchestrator] ?? ['workload', 'endpoint'];
    const rest = parts.slice(2);
    if (rest.length > fields.length) {
      throw new SyntaxError(`Error parsing ${name}, verify that WorkloadEndpoint name is correct`);
    }
    rest.forEach((part, i) => {
      ids[fields[i]!] = part;
    });
  }
  return ids;
}
