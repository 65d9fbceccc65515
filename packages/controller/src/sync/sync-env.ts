/**
 * What the sync engine works with: the datastore (resources and raw keys), Neutron's state,
 * the region it owns, the translation settings and a logger. The application builds one
 * `SyncEnv` per region; the resync, the dynamic per-object syncs and the tests share it.
 * @module
 */
import type { KeyValueStore, Store } from '@percale/datastore';
import type { QosConfig } from '../config/index.ts';
import type { NeutronReader } from '../neutron/types.ts';

/** The structured logger the engine writes to (the application's logger fits it). */
export interface SyncLog {
  debug(msg: string, fields?: Record<string, unknown>): void;
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
}

/** Discards everything. */
export const QUIET: SyncLog = { debug() {}, info() {}, warn() {}, error() {} };

/** Everything one region's sync needs. */
export interface SyncEnv {
  store: Store;
  kv: KeyValueStore;
  neutron: NeutronReader;
  /** The v3 namespace (`openstack` or `openstack-region-<r>`). */
  namespace: string;
  /** The legacy region string (`no-region` or `region-<r>`). */
  regionString: string;
  /** The `[calico]` QoS options that shape `qosControls`. */
  qos: QosConfig;
  log: SyncLog;
  /** Test hook: the clock the engine times phases with (default performance.now). */
  now?: () => number;
}

/** The compare-and-swap attempts of one dynamic sync before it gives up (networking-calico's MAX_CAS_ATTEMPTS). */
export const MAX_CAS_ATTEMPTS = 5;
