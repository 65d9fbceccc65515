/**
 * The default client factory: a validating client over an `EtcdStore` built from
 * the connection config (Tier reads cached for the run, see `TierCachingStore`), with
 * endpoints from the config or from DNS SRV discovery.
 * The datastore package (and with it the etcd/gRPC client) is loaded only here, so
 * offline commands start without it.
 * @module
 */
import { resolveSrv } from 'node:dns/promises';
import type { ResourceClient } from '@percale/datastore';
import type { ConnectionConfig } from '../config/connection-config.ts';
import { TierCachingStore } from './tier-caching-store.ts';

/** Looks up etcd client URLs the way etcd's SRV discovery does (TLS records first). */
export async function discoverEndpoints(domain: string): Promise<string[]> {
  const urls: string[] = [];
  const errors: string[] = [];
  for (const [service, scheme] of [['_etcd-client-ssl._tcp', 'https'], ['_etcd-client._tcp', 'http']] as const) {
    try {
      for (const r of await resolveSrv(`${service}.${domain}`)) urls.push(`${scheme}://${r.name.replace(/\.$/, '')}:${r.port}`);
    } catch (err) {
      errors.push((err as Error).message);
    }
  }
  if (urls.length === 0) throw new Error(`failed to discover etcd endpoints through SRV discovery: ${errors.join('; ')}`);
  return urls;
}

/** Creates the etcd-backed client for `config`. */
export async function connectEtcd(config: ConnectionConfig): Promise<ResourceClient> {
  const endpoints = config.etcdEndpoints.length ? [...config.etcdEndpoints] : await discoverEndpoints(config.etcdDiscoverySrv ?? '');
  if (endpoints.length === 0) throw new Error('no etcd endpoints specified');
  const datastore = await import('@percale/datastore');
  const tls = {
    ...(config.etcdCACertFile && { caFile: config.etcdCACertFile }),
    ...(config.etcdCertFile && { certFile: config.etcdCertFile }),
    ...(config.etcdKeyFile && { keyFile: config.etcdKeyFile }),
    ...(config.etcdCACert && { ca: config.etcdCACert }),
    ...(config.etcdCert && { cert: config.etcdCert }),
    ...(config.etcdKey && { key: config.etcdKey }),
  };
  const store = new datastore.EtcdStore({
    endpoints,
    ...(Object.keys(tls).length > 0 && { tls }),
    // Like Calico, credentials are used only when both are set.
    ...(config.etcdUsername && config.etcdPassword && { username: config.etcdUsername, password: config.etcdPassword }),
  });
  return new datastore.Client(new TierCachingStore(store));
}
