/**
 * Calico's etcd key layout for v3 resources:
 *   /calico/resources/v3/projectcalico.org/<plural>/<name>              (cluster kinds)
 *   /calico/resources/v3/projectcalico.org/<plural>/<namespace>/<name>  (namespaced kinds)
 * Both stores use these keys, so MemoryStore orders and filters exactly as etcd does.
 * @module
 */
import { kindByPlural, kindInfo, type ResourceKey } from '@percale/api';
import type { ResourceQuery } from './store.ts';

/** Every v3 resource key starts with this. */
export const RESOURCE_PREFIX = '/calico/resources/v3/projectcalico.org/';

function info(kind: string) {
  const k = kindInfo(kind);
  if (!k) throw new TypeError(`Cannot build a datastore key: unknown kind "${kind}"`);
  return k;
}

/** The etcd key of one resource. */
export function keyFor(key: ResourceKey): string {
  const k = info(key.kind);
  if (k.namespaced) {
    if (!key.namespace) throw new TypeError(`Cannot build a datastore key for ${key.kind} "${key.name}": namespace is not specified on namespaced resource`);
    return `${RESOURCE_PREFIX}${k.plural}/${key.namespace}/${key.name}`;
  }
  return `${RESOURCE_PREFIX}${k.plural}/${key.name}`;
}

/**
 * The key or key prefix that covers a query. `exact` is true when the query
 * names a single resource. Prefixes end in `/` (so `ippools` never matches
 * `ippoolsfoo`) unless the query is a name prefix.
 */
export function keyRangeFor(query: ResourceQuery): { key: string; exact: boolean } {
  if (!query.kind) return { key: RESOURCE_PREFIX, exact: false };
  const k = info(query.kind);
  let root = `${RESOURCE_PREFIX}${k.plural}`;
  if (k.namespaced && query.namespace) root += `/${query.namespace}`;
  else if (k.namespaced && query.name) {
    throw new TypeError(`Cannot look up ${query.kind} "${query.name}" without a namespace`);
  }
  if (query.name !== undefined) {
    return query.namePrefix ? { key: `${root}/${query.name}`, exact: false } : { key: `${root}/${query.name}`, exact: true };
  }
  return { key: `${root}/`, exact: false };
}

const unescape = (s: string) => s.replace(/%2f/gi, '/').replace(/%25/g, '%');

/**
 * Parses a storage key back into a resource key; undefined for keys that are
 * not v3 resources of a known kind with the right number of segments.
 */
export function parseKey(storageKey: string): ResourceKey | undefined {
  if (!storageKey.startsWith(RESOURCE_PREFIX)) return undefined;
  const parts = storageKey.slice(RESOURCE_PREFIX.length).split('/');
  const k = kindByPlural(parts[0] ?? '');
  if (!k) return undefined;
  if (k.namespaced && parts.length === 3 && parts[1] && parts[2]) {
    return { kind: k.kind, namespace: unescape(parts[1]), name: unescape(parts[2]) };
  }
  if (!k.namespaced && parts.length === 2 && parts[1]) return { kind: k.kind, name: unescape(parts[1]) };
  return undefined;
}

/** True when a resource key falls inside a query (used to filter prefix reads and watch events). */
export function queryMatches(query: ResourceQuery, key: ResourceKey): boolean {
  if (query.kind && key.kind !== query.kind) return false;
  if (query.namespace !== undefined && query.kind && kindInfo(query.kind)?.namespaced && key.namespace !== query.namespace) return false;
  if (query.name !== undefined) {
    return query.namePrefix ? key.name.startsWith(query.name) : key.name === query.name;
  }
  return true;
}
