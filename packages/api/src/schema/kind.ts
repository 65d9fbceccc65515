/**
 * A kind's schema: its spec (and status) struct, kind-specific name rule, cross-field rules and
 * client defaulting, plus the envelope-level decode, encode, default and check passes that every
 * kind shares. Kind files in `resources/` call `defineKind`.
 * @module
 */
import type { ObjectMeta, Resource } from '../resources/types.ts';
import { ObjectMeta as ObjectMetaType } from './object-meta.ts';
import { unknownFieldReason, type StructType } from './struct.ts';
import { isJSONObject, jsonTypeOf, type Issue, type Path, type Report, type UnknownFields } from './types.ts';

/** A decoded resource as kind rules see it: metadata and spec always present. */
export interface KindResource<S> {
  readonly apiVersion: string;
  readonly kind: string;
  readonly metadata: ObjectMeta;
  readonly spec: S;
  readonly status?: unknown;
}

/** A rule that needs more than the spec (metadata, or the kind of policy); paths are absolute. */
export type KindRule<S> = (res: KindResource<S>, report: Report) => void;

/** A kind's declaration, typed by its spec so rules see typed values. */
export interface KindDefinition<S> {
  readonly kind: string;
  readonly spec: StructType<S>;
  /** Present for kinds whose Go type has a `Status` member (written even when empty). */
  readonly status?: StructType<unknown>;
  /** The Go status member is a pointer (`*IPPoolStatus`): written only when present. */
  readonly statusIsPointer?: boolean;
  /** Extra name rule on top of the common one (1.3); returns the reasons the name fails. */
  readonly nameRule?: (name: string) => readonly string[];
  /** Cross-field rules that need metadata or know which kind they are in. */
  readonly rules?: readonly KindRule<S>[];
  /** Client-side defaulting on create and update (before validation); pure. */
  readonly createDefaults?: (res: Resource) => Resource;
  /** Defaulting the client applies to what it reads; pure. `listing` is true for list results. */
  readonly readDefaults?: (res: Resource, listing: boolean) => Resource;
}

/** A declared kind, its spec type erased so kinds can sit in one registry. */
export type KindSchema = KindDefinition<unknown>;

/** Declares a kind: checks the rules against the spec type, then erases it. */
export function defineKind<S>(definition: KindDefinition<S>): KindSchema {
  return definition as unknown as KindSchema;
}

/** Outcome of decoding: the resource when there were no issues, and the issues. */
export interface DecodeResult {
  readonly resource?: Resource;
  readonly issues: readonly Issue[];
}

/** Reason for a kind/version pair that is not a known v3 kind (calicoctl's wording). */
export function unknownKindReason(kind: unknown, apiVersion: unknown): string {
  return `unknown resource type (${String(kind)}) and/or version (${String(apiVersion)})`;
}

/**
 * Decodes a resource of a known kind: envelope, metadata, spec and status. Unknown members are
 * issues (`reject`, calicoctl input) or kept as written (`keep`, datastore reads).
 */
export function decodeKind(schema: KindSchema, raw: Record<string, unknown>, unknownFields: UnknownFields): DecodeResult {
  const cx = { unknownFields, issues: [] as Issue[] };
  const out: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(raw)) {
    const path: Path = [name];
    switch (name) {
      case 'apiVersion':
      case 'kind':
        out[name] = value;
        break;
      case 'metadata':
        if (value !== null) out.metadata = ObjectMetaType.decode(value, path, cx);
        break;
      case 'spec':
        if (value !== null) out.spec = schema.spec.decode(value, path, cx);
        break;
      default:
        if (name === 'status' && schema.status) {
          if (value !== null) out.status = schema.status.decode(value, path, cx);
        } else if (unknownFields === 'keep') out[name] = value;
        else cx.issues.push({ path, reason: unknownFieldReason(name) });
    }
  }
  if (cx.issues.length > 0) return { issues: cx.issues };
  // Go always has metadata and spec; consumers may rely on both being objects.
  out.metadata ??= {};
  out.spec ??= {};
  return { resource: out as unknown as Resource, issues: [] };
}

/** The resource as Go writes it: `kind`, `apiVersion`, `metadata`, `spec`, `status`, then unknown members. */
export function encodeKind(schema: KindSchema | undefined, res: Resource): Record<string, unknown> {
  const out: Record<string, unknown> = { kind: res.kind, apiVersion: res.apiVersion };
  out.metadata = ObjectMetaType.encode((res.metadata ?? {}) as never);
  out.spec = schema ? schema.spec.encode(res.spec ?? {}) : (res.spec ?? {});
  if (schema?.status) {
    if (res.status !== undefined || !schema.statusIsPointer) out.status = schema.status.encode(res.status ?? {});
  } else if (res.status !== undefined && (!isJSONObject(res.status) || Object.keys(res.status).length > 0)) out.status = res.status;
  for (const [name, value] of Object.entries(res)) {
    if (!(name in out) && name !== 'status' && value !== undefined) out[name] = value;
  }
  return out;
}

/** Applies the CRD schema defaults of the kind's spec (and status) in place, returning a new object. */
export function applySchemaDefaults(schema: KindSchema, res: Resource): Resource {
  const spec = schema.spec.withDefaults(res.spec ?? {}) as Record<string, unknown>;
  return spec === res.spec ? res : { ...res, spec };
}

/** Runs the spec's field checks and struct rules, then the kind's own rules. */
export function checkKind(schema: KindSchema, res: Resource, issues: Issue[]): void {
  const spec: unknown = res.spec ?? {};
  schema.spec.check(spec, ['spec'], issues);
  if (schema.status && res.status !== undefined) schema.status.check(res.status, ['status'], issues);
  const report: Report = (path, reason, value) => {
    issues.push(value === undefined ? { path, reason } : { path, reason, value });
  };
  const view: KindResource<unknown> = { apiVersion: res.apiVersion, kind: res.kind, metadata: res.metadata ?? {}, spec, status: res.status };
  for (const rule of schema.rules ?? []) rule(view, report);
}

/** For messages about a top-level value that is not an object. */
export function notAnObject(raw: unknown): Issue {
  return { path: [], reason: `expected a resource object, got ${jsonTypeOf(raw)}` };
}
