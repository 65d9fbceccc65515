/**
 * The storage codec both stores share: a resource becomes the exact bytes Calico keeps in
 * etcd, and stored bytes (ours, Calico's, networking-calico's) become a resource again.
 * It also holds the metadata rules every store applies on write (uid, creation time, revisions).
 * @module
 */
import { API_VERSION, encodeResource, ValidationError, type ObjectMeta, type Resource, type ResourceKey } from '@percale/api';
import { CorruptEntryError } from './errors.ts';
import { parseKey, queryMatches } from './keys.ts';
import type { ResourceQuery, WatchEvent } from './store.ts';

/** Annotation in which Calico ≥ v3.30 records a policy's user-visible name (spec §2.2.1). */
export const POLICY_NAME_ANNOTATION = 'projectcalico.org/metadata';

/** Kinds whose stored name may carry a tier prefix, and which get the name annotation. */
const POLICY_KINDS: ReadonlySet<string> = new Set([
  'NetworkPolicy',
  'GlobalNetworkPolicy',
  'StagedNetworkPolicy',
  'StagedGlobalNetworkPolicy',
]);

/**
 * Serialises a resource for storage: `resourceVersion` and `selfLink` are dropped (etcd
 * holds the revision), and policies get the name annotation Calico writes (§2.2.1).
 */
export function encodeForStorage(resource: Resource): string {
  const { resourceVersion: _rv, selfLink: _sl, ...metadata } = resource.metadata ?? {};
  if (POLICY_KINDS.has(resource.kind)) {
    metadata.annotations = { ...metadata.annotations, [POLICY_NAME_ANNOTATION]: JSON.stringify({ name: metadata.name ?? '' }) };
  }
  return encodeResource({ ...resource, metadata });
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * Parses a stored value into a resource whose `resourceVersion` is `modRevision`.
 * Unknown members are kept; policy names are read back as Calico does (§2.2.1): the
 * name annotation wins and is removed, otherwise one `default.` prefix is stripped in
 * the default tier.
 * @param kind The kind the storage key belongs to (decides the policy-name rule).
 * @throws {CorruptEntryError} when the value is empty or not a JSON resource object.
 */
export function decodeStored(storageKey: string, kind: string, raw: string, modRevision: string): Resource {
  if (raw === '') throw new CorruptEntryError(storageKey, raw, { cause: new SyntaxError('the value is empty') });
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch (err) {
    throw new CorruptEntryError(storageKey, raw, { cause: err });
  }
  if (!isObject(parsed) || !isObject(parsed.metadata)) {
    throw new CorruptEntryError(storageKey, raw, { cause: new TypeError('the value is not a resource object with metadata') });
  }
  const resource = parsed as unknown as Resource;
  const meta = resource.metadata;
  if (POLICY_KINDS.has(kind)) readPolicyName(storageKey, raw, resource, meta);
  meta.resourceVersion = modRevision;
  return resource;
}

function readPolicyName(storageKey: string, raw: string, resource: Resource, meta: ObjectMeta): void {
  const annotation = meta.annotations?.[POLICY_NAME_ANNOTATION];
  if (annotation) {
    let recorded: unknown;
    try {
      recorded = JSON.parse(annotation);
    } catch (err) {
      const detail = err instanceof Error ? err.message : String(err);
      throw new CorruptEntryError(storageKey, raw, { cause: new SyntaxError(`annotation "${POLICY_NAME_ANNOTATION}" contains invalid JSON: ${detail}`, { cause: err }) });
    }
    // Calico unmarshals the annotation into ObjectMeta: a missing name reads as "".
    meta.name = isObject(recorded) && typeof recorded.name === 'string' ? recorded.name : '';
    delete meta.annotations![POLICY_NAME_ANNOTATION];
    if (Object.keys(meta.annotations!).length === 0) delete meta.annotations;
    return;
  }
  const tier = resource.spec?.tier;
  if ((tier === undefined || tier === '' || tier === 'default') && meta.name?.startsWith('default.')) {
    meta.name = meta.name.slice('default.'.length);
  }
}

/** Now as Calico stores a creation time: RFC 3339, UTC, whole seconds. */
export function creationTimestamp(now: Date = new Date()): string {
  return `${now.toISOString().slice(0, 19)}Z`;
}

/**
 * The resource as it is first stored: `uid` (a random UUID) and `creationTimestamp`
 * are filled in when empty, everything else is kept. Does not modify its argument.
 */
export function withCreationMetadata(resource: Resource, now?: Date): Resource {
  const meta = resource.metadata ?? {};
  if (meta.uid && meta.creationTimestamp) return resource;
  return {
    ...resource,
    metadata: { ...meta, uid: meta.uid || crypto.randomUUID(), creationTimestamp: meta.creationTimestamp || creationTimestamp(now) },
  };
}

/**
 * What an unconditional write (apply) stores: the resource, with `uid` and
 * `creationTimestamp` taken from the stored value when it lacks them, or new ones when
 * there is no readable stored value.
 */
export function keepCreationMetadata(resource: Resource, storedValue: string | undefined, now?: Date): Resource {
  const meta = resource.metadata ?? {};
  if (meta.uid && meta.creationTimestamp) return resource;
  if (storedValue !== undefined) {
    const stored = storedCreationMetadata(storedValue);
    resource = { ...resource, metadata: { ...meta, uid: meta.uid || stored.uid, creationTimestamp: meta.creationTimestamp || stored.creationTimestamp } };
  }
  return withCreationMetadata(resource, now);
}

function storedCreationMetadata(value: string): { uid?: string; creationTimestamp?: string } {
  let meta: unknown;
  try {
    meta = (JSON.parse(value) as { metadata?: unknown }).metadata;
  } catch {
    return {};
  }
  if (!isObject(meta)) return {};
  return {
    ...(typeof meta.uid === 'string' && { uid: meta.uid }),
    ...(typeof meta.creationTimestamp === 'string' && { creationTimestamp: meta.creationTimestamp }),
  };
}

/**
 * Checks what an update needs before it reaches the datastore, as Calico does: a
 * numeric `resourceVersion` (the revision to compare against), and non-empty `uid`
 * and `creationTimestamp` (so an update can never drop them).
 * @returns the expected revision.
 * @throws {ValidationError} naming every missing or malformed field.
 */
export function checkUpdateMetadata(resource: Resource): string {
  const meta = resource.metadata ?? {};
  const fields = [];
  const must = 'field must be set for an Update request';
  if (!meta.resourceVersion) fields.push({ field: 'Metadata.ResourceVersion', value: '', reason: must });
  else if (!isRevision(meta.resourceVersion)) fields.push({ field: 'Metadata.ResourceVersion', value: meta.resourceVersion, reason: 'must be a decimal revision' });
  if (!meta.creationTimestamp) fields.push({ field: 'Metadata.CreationTimestamp', value: '', reason: must });
  if (!meta.uid) fields.push({ field: 'Metadata.UID', value: '', reason: must });
  if (fields.length > 0) throw new ValidationError(fields);
  return meta.resourceVersion!;
}

/** True for a revision as etcd prints it: a positive base-10 int64. */
function isRevision(value: string): boolean {
  return /^[1-9][0-9]{0,18}$/.test(value) && BigInt(value) <= 0x7fffffffffffffffn;
}

/**
 * Validates a revision given in options (`resourceVersion` of a delete, `revision` of a read).
 * @throws {ValidationError} on `ResourceVersion` when it is not a decimal revision.
 */
export function checkRevision(value: string): string {
  if (!isRevision(value)) throw new ValidationError([{ field: 'ResourceVersion', value, reason: 'must be a decimal revision' }]);
  return value;
}

/**
 * Validates the revision a watch resumes after. Unlike a read, it may be `0`: every
 * change since the datastore began (etcd's history starts at revision 1).
 * @throws {ValidationError} on `ResourceVersion` otherwise.
 */
export function checkWatchRevision(value: string): string {
  return value === '0' ? value : checkRevision(value);
}

/**
 * Checks a TTL: etcd leases last whole seconds, at least one.
 * @throws {RangeError} otherwise.
 */
export function checkTtlSeconds(ttlSeconds: number, storageKey: string): number {
  if (!Number.isInteger(ttlSeconds) || ttlSeconds < 1) {
    throw new RangeError(`Cannot write ${storageKey} with a TTL of ${ttlSeconds} s: the TTL must be a whole number of seconds, at least 1`);
  }
  return ttlSeconds;
}

/**
 * Stands in for a deleted entry whose value could not be read: the delete went through,
 * and all that is known of the resource is its key and last revision.
 */
export function keyOnlyResource(key: ResourceKey, modRevision: string): Resource {
  const metadata: ObjectMeta = { name: key.name, resourceVersion: modRevision };
  if (key.namespace) metadata.namespace = key.namespace;
  return { apiVersion: API_VERSION, kind: key.kind, metadata };
}

/** The resource key of a resource (its `metadata` name and namespace). */
export function resourceKeyOf(resource: Resource): ResourceKey {
  const meta = resource.metadata ?? {};
  const key: ResourceKey = { kind: resource.kind, name: meta.name ?? '' };
  if (meta.namespace) key.namespace = meta.namespace;
  return key;
}

/** One change to a stored key, as either store's history or etcd's watch reports it. */
export interface StoredChange {
  /** The storage key. */
  key: string;
  type: 'put' | 'delete';
  /** The revision of the change (for a put: the key's new mod revision). */
  revision: string;
  /** For a put: the new value and the revision the key was created at. */
  value?: string;
  createRevision?: string;
  /** The value before the change, when known. */
  prev?: { value: string; modRevision: string };
}

/**
 * Turns a stored change into the watch event a `Store` delivers, or undefined when the
 * key is not a resource matching `query`. A put whose create revision is its own revision
 * is an ADDED event; an unreadable value becomes an ERROR event (the watch goes on).
 */
export function changeToEvent(change: StoredChange, query: ResourceQuery): WatchEvent | undefined {
  const key = parseKey(change.key);
  if (!key || !queryMatches(query, key)) return undefined;
  try {
    if (change.type === 'delete') {
      if (!change.prev) {
        return { type: 'ERROR', error: new CorruptEntryError(change.key, '', { cause: new Error(`the value deleted at revision ${change.revision} is not available`) }), revision: change.revision };
      }
      const previous = decodeStored(change.key, key.kind, change.prev.value, change.prev.modRevision);
      return { type: 'DELETED', previous, key: { ...key, name: previous.metadata.name ?? key.name }, revision: change.revision };
    }
    const resource = decodeStored(change.key, key.kind, change.value ?? '', change.revision);
    if (change.createRevision === change.revision) return { type: 'ADDED', resource, revision: change.revision };
    const event: WatchEvent = { type: 'MODIFIED', resource, revision: change.revision };
    if (change.prev) {
      try {
        event.previous = decodeStored(change.key, key.kind, change.prev.value, change.prev.modRevision);
      } catch {
        // An unreadable old value only costs the event its `previous`; the new value is what matters.
      }
    }
    return event;
  } catch (err) {
    return { type: 'ERROR', error: err as Error, revision: change.revision };
  }
}
