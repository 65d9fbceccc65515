/**
 * `validateResource` and `validateFragment`: the validation pipeline of resources.md §1.8 for
 * a complete v3 object or one named API type. Decoding is strict; CRD defaults are applied
 * before the checks (the defaulted object is what Calico validates and stores).
 * @module
 */
import type { FieldError } from '../errors.ts';
import { decodeResource, toFieldErrors, type DecodeOptions } from '../resources/decode-resource.ts';
import { fragmentType } from '../resources/registry.ts';
import { kindSchema } from '../resources/registry.ts';
import { applySchemaDefaults, checkKind } from '../schema/kind.ts';
import type { Issue } from '../schema/types.ts';
import { checkObjectMeta } from './metadata.ts';

/**
 * Validates a complete v3 object (`apiVersion`, `kind`, `metadata`, `spec`). Returns `[]` when
 * it is valid; otherwise one error per problem, each naming the field by its JSON path
 * (`spec.ingress[0].destination.ports[1]`, `metadata.labels["app/x"]`) and the reason.
 * Namespace presence, tier existence and WorkloadEndpoint naming are the client's checks.
 *
 * @example
 * const errors = validateResource(obj);
 * if (errors.length) throw new ValidationError(errors);
 */
export function validateResource(obj: unknown, options: DecodeOptions = {}): FieldError[] {
  const { resource, errors } = decodeResource(obj, options);
  if (!resource) return errors;
  const schema = kindSchema(resource.kind)!;
  const defaulted = applySchemaDefaults(schema, resource);
  const issues: Issue[] = [];
  checkObjectMeta(defaulted.metadata, schema.nameRule, issues);
  checkKind(schema, defaulted, issues);
  return toFieldErrors(issues);
}

/**
 * Validates one named API type on its own (`Rule`, `EntityRule`, `WorkloadEndpointSpec`,
 * `Protocol`, …), as Calico's validator does for a sub-struct: strict decode, then the
 * type's checks. Paths are relative to the value; problems with the value as a whole name
 * the type.
 * @throws {RangeError} when `typeName` is not a known API type.
 */
export function validateFragment(typeName: string, value: unknown): FieldError[] {
  const type = fragmentType(typeName);
  if (!type) throw new RangeError(`Cannot validate ${JSON.stringify(typeName)}: not a known API type`);
  const issues: Issue[] = [];
  const decoded = value === null ? undefined : type.decode(value, [], { unknownFields: 'reject', issues });
  if (value === null) issues.push({ path: [], reason: `expected ${type.description}, got null` });
  if (decoded !== undefined && issues.length === 0) type.check(decoded, [], issues);
  return toFieldErrors(issues, typeName);
}
