/**
 * What the sync engine works with: the datastore (resources and raw keys), Neutron's state,
 * the region it owns, the translation settings and a logger. The application builds one
 * `SyncEnv` per region; the resync, the dynamic per-object syncs and the tests share it.
 * @module
 */
import type { Logger } from '@percale/daemon';
import type { KeyValueStore, Store } from '@percale/datastore';
import type { QosConfig } from '../config/index.ts';
import type { NeutronReader } from '../neutron/types.ts';

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
  log: Logger;
  /** Test hook: the clock the engine times phases with (default performance.now). */
  now?: () => number;
}

/** The compare-and-swap attempts of one dynamic sync before it gives up (networking-calico's MAX_CAS_ATTEMPTS). */
export const MAX_CAS_ATTEMPTS = 5;
