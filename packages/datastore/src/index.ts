/**
 * @percale/datastore — where resources live: the `Store` contract, Calico's etcd key
 * layout, `EtcdStore` (etcd v3) and `MemoryStore` (embedded), and the client that
 * validates and defaults resources before they are stored.
 * @module
 */
export type { Store, ResourceQuery, ListOptions, ListResult, WriteOptions, DeleteOptions, WatchEvent, WatchOptions, Watcher } from './store.ts';
export * from './errors.ts';
export { RESOURCE_PREFIX, keyFor, keyRangeFor, parseKey, queryMatches } from './keys.ts';
export { startLocalEtcd, freePort, type LocalEtcd, type LocalEtcdOptions } from './etcd/local-server.ts';
export { MemoryStore, type MemoryStoreOptions } from './memory/memory-store.ts';
export { EtcdStore, type EtcdStoreOptions, type EtcdTlsOptions, type BatchWrite, type BatchWriteOutcome } from './etcd/etcd-store.ts';
export type { KeyValueStore, KeyValueEntry, Lease, PutOptions, KeyCondition, KeyValueEvent, KeyValueWatch, KeyValueWatchOptions } from './kv-store.ts';
export { MemoryKeyValueStore, type MemoryKeyValueStoreOptions } from './memory/memory-kv-store.ts';
export { Syncer, type SyncStatus, type ResourceEvent, type SyncerCallbacks, type SyncerOptions } from './syncer/index.ts';
export type { ResourceClient } from './client/resource-client.ts';
export { Client, DEFAULT_ALLOW_PROFILE, BUILTIN_TIERS } from './client/client.ts';
