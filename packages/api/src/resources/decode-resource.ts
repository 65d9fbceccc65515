/**
 * `decodeResource`: reads a v3 object from parsed JSON/YAML into Percale's canonical form,
 * checking every member against its kind's schema (unknown members, wrong JSON types,
 * malformed ports, protocols and AS numbers are errors).
 * @module
 */
import type { FieldError } from '../errors.ts';
import { decodeKind, notAnObject, unknownKindReason } from '../schema/kind.ts';
import { formatPath, isJSONObject, type Issue, type UnknownFields } from '../schema/types.ts';
import { API_VERSION, kindInfo } from './kinds.ts';
import { kindSchema } from './registry.ts';
import type { Resource } from './types.ts';

/** Options for `decodeResource` and `validateResource`. */
export interface DecodeOptions {
  /**
   * `reject` (default): members the kind does not define are errors, as in calicoctl input.
   * `keep`: they are kept as written, as the datastore reader must for data other writers
   * store (networking-calico's `allowedIps`); `encodeResource` writes them back after the
   * known members.
   */
  readonly unknownFields?: UnknownFields;
}

/** Converts internal issues to the public `FieldError` form (`root` names a fragment's own errors). */
export function toFieldErrors(issues: readonly Issue[], root = ''): FieldError[] {
  return issues.map((i) => {
    const field = formatPath(i.path) || root;
    return i.value === undefined ? { field, reason: i.reason } : { field, value: i.value, reason: i.reason };
  });
}

/**
 * Decodes a v3 resource from a parsed JSON/YAML value. On success `resource` holds the
 * canonical form (ports, protocols and AS numbers as Go writes them, `null` members removed,
 * `metadata` and `spec` always present); otherwise `errors` names each problem.
 *
 * @example
 * const { resource, errors } = decodeResource(JSON.parse(text));
 * if (errors.length) throw new ValidationError(errors);
 */
export function decodeResource(value: unknown, options: DecodeOptions = {}): { resource?: Resource; errors: FieldError[] } {
  if (!isJSONObject(value)) return { errors: toFieldErrors([notAnObject(value)]) };
  const { apiVersion, kind } = value;
  const schema = typeof kind === 'string' ? kindSchema(kind) : undefined;
  if (apiVersion !== API_VERSION || !schema) {
    const field = apiVersion !== API_VERSION ? 'apiVersion' : 'kind';
    const reason = field === 'kind' && typeof kind === 'string' && kindInfo(kind)
      ? `resource type ${kind} has no schema in this version of Percale, so it cannot be decoded or validated`
      : unknownKindReason(kind, apiVersion);
    return { errors: [{ field, value: field === 'kind' ? kind : apiVersion, reason }] };
  }
  const result = decodeKind(schema, value, options.unknownFields ?? 'reject');
  return result.resource ? { resource: result.resource, errors: [] } : { errors: toFieldErrors(result.issues) };
}
