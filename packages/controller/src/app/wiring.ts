/**
 * Builds the controller's parts from its configuration: the etcd store, the Neutron REST
 * reader, the notification source and the sync environment. Shared by `neutron-controller`
 * and `neutron-resync`, so both talk to the same etcd and Neutron the same way.
 * @module
 */
import { EtcdStore } from '@percale/datastore';
import type { Logger } from '@percale/daemon';
import type { ControllerConfig } from '../config/index.ts';
import { RabbitNotificationSource } from '../neutron/notifications/rabbit-notification-source.ts';
import { NeutronRestClient } from '../neutron/rest/neutron-rest-client.ts';
import type { NeutronReader, NotificationSource } from '../neutron/types.ts';
import type { SyncEnv } from '../sync/sync-env.ts';

/** The etcd store of `[calico] etcd_*` (TLS when any TLS file is set, user/password when given). */
export function createStore(config: ControllerConfig): EtcdStore {
  const { etcd } = config;
  return new EtcdStore({
    endpoints: etcd.endpoints,
    ...(etcd.tls && { tls: etcd.tls }),
    ...(etcd.username !== undefined && { username: etcd.username, password: etcd.password ?? '' }),
    dialTimeoutMs: etcd.timeoutSeconds * 1000,
  });
}

/** Neutron's REST API as the configuration says (noauth, or Keystone password credentials). */
export function createNeutronReader(config: ControllerConfig): NeutronReader {
  if (config.auth.strategy === 'noauth') return new NeutronRestClient({ url: config.neutronApiUrl, auth: { type: 'noauth' } });
  const k = config.auth.keystone;
  return new NeutronRestClient({
    url: config.neutronApiUrl,
    auth: {
      type: 'password',
      authUrl: k.authUrl,
      username: k.username,
      password: k.password,
      projectName: k.projectName ?? '',
      ...(k.userDomainName !== undefined && { userDomainName: k.userDomainName }),
      ...(k.projectDomainName !== undefined && { projectDomainName: k.projectDomainName }),
      ...(k.regionName !== undefined && { region: k.regionName }),
    },
  });
}

/**
 * Neutron's notifications over oslo.messaging; `onMissed` is told when the connection came back
 * after a loss (the queue went with it, so events may be gone).
 * @throws {Error} when neither `[oslo_messaging_notifications]` nor `[DEFAULT]` has a `transport_url`.
 */
export function createNotificationSource(config: ControllerConfig, log: Logger, onMissed: () => void): NotificationSource {
  const n = config.messaging.notifications;
  if (n.transportUrl === undefined) {
    throw new Error('Cannot receive Neutron notifications: no transport_url in [oslo_messaging_notifications] or [DEFAULT]');
  }
  return new RabbitNotificationSource({
    transportUrl: n.transportUrl,
    exchange: n.exchange,
    topics: n.topics,
    exchangeDurable: config.messaging.rabbit.durableQueues,
    exchangeAutoDelete: config.messaging.rabbit.autoDelete,
    log,
    onStatus: (status) => {
      if (status.state === 'connected' && status.eventsMayHaveBeenMissed) onMissed();
      else if (status.state === 'disconnected') log.warn('Neutron notifications unavailable; retrying', { error: status.error, retryInMs: status.retryInMs });
    },
  });
}

/** The sync environment of the configured region. */
export function createSyncEnv(config: ControllerConfig, store: EtcdStore, neutron: NeutronReader, log: Logger): SyncEnv {
  return { store, kv: store.keyValues(), neutron, namespace: config.namespace, regionString: config.regionString, qos: config.qos, log };
}
