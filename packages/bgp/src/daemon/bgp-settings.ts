/**
 * Where `percale bgp` gets its datastore connection and node name: calico-node's
 * environment (`NODENAME`, `ETCD_ENDPOINTS`, `ETCD_KEY_FILE`, `ETCD_CERT_FILE`,
 * `ETCD_CA_CERT_FILE`, `ETCD_USERNAME`/`ETCD_PASSWORD`), then the agent's own sources
 * (`FELIX_<PARAM>` environment and felix.cfg's `FelixHostname`, `EtcdEndpoints`,
 * `EtcdScheme`+`EtcdAddr`, `EtcdKeyFile`, `EtcdCertFile`, `EtcdCaFile`), so one host
 * configuration serves both processes. The node name falls back to the kernel hostname,
 * lower-cased, as the agent's FelixHostname does.
 * @module
 */
import { readFile } from 'node:fs/promises';
import { hostname as kernelHostname } from 'node:os';
import { FelixCfgSyntaxError, parseFelixCfg } from '@percale/daemon';

/** The agent's default felix.cfg. */
export const DEFAULT_FELIX_CONFIG = '/etc/calico/felix.cfg';

/** The settings the daemon needs before it can talk to anything. */
export interface BgpSettings {
  nodeName: string;
  etcd: {
    endpoints: string[];
    tls?: { caFile?: string; certFile?: string; keyFile?: string };
    username?: string;
    password?: string;
  };
  /** Where each value came from, for the start-up log line. */
  sources: { nodeName: string; etcd: string };
}

/** A setting that cannot be used. */
export class BgpSettingsError extends Error {
  readonly code = 'BGP_SETTINGS_INVALID';
  constructor(message: string) {
    super(message);
    this.name = 'BgpSettingsError';
  }
}

/**
 * felix.cfg's values by lower-cased key (all sections merged, a later duplicate wins), read
 * by the agent's own reader so that both daemons see the same values in one file.
 * @throws {FelixCfgSyntaxError}
 */
export function parseFelixCfgKeys(text: string): Map<string, string> {
  return new Map(parseFelixCfg(text).map((e) => [e.key.toLowerCase(), e.value]));
}

/**
 * Resolves the settings from `env` and the felix.cfg at `configFile` (an absent file is fine
 * unless it was asked for explicitly).
 * @throws {BgpSettingsError}
 */
export async function loadBgpSettings(env: NodeJS.ProcessEnv, configFile: string | undefined, hostname: () => string = kernelHostname): Promise<BgpSettings> {
  const path = configFile ?? env['FELIX_CONFIGFILE'] ?? DEFAULT_FELIX_CONFIG;
  let cfg = new Map<string, string>();
  try {
    cfg = parseFelixCfgKeys(await readFile(path, 'utf8'));
  } catch (err) {
    if (err instanceof FelixCfgSyntaxError) throw new BgpSettingsError(`Cannot read the configuration file "${path}": ${err.message}`);
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT' || configFile !== undefined) {
      throw new BgpSettingsError(`Cannot read the configuration file "${path}": ${(err as Error).message}`);
    }
  }
  // FELIX_<PARAM> (any case) over felix.cfg, as in the agent.
  const felix = (param: string): string | undefined => {
    const upper = `FELIX_${param.toUpperCase()}`;
    const fromEnv = Object.entries(env).find(([k]) => k.toUpperCase() === upper)?.[1];
    return fromEnv !== undefined && fromEnv !== '' ? fromEnv : cfg.get(param.toLowerCase()) || undefined;
  };
  const nonEmpty = (v: string | undefined) => (v !== undefined && v.trim() !== '' ? v.trim() : undefined);

  let nodeName = nonEmpty(env['NODENAME']);
  let nodeSource = 'NODENAME';
  if (!nodeName && (nodeName = nonEmpty(felix('FelixHostname')))) nodeSource = 'FelixHostname';
  if (!nodeName) {
    nodeName = hostname().toLowerCase();
    nodeSource = 'hostname';
  }
  if (!nodeName) throw new BgpSettingsError('Cannot determine the node name: set NODENAME');

  let endpoints: string[];
  let etcdSource: string;
  const list = (v: string) => v.split(',').map((s) => s.trim()).filter(Boolean);
  if (nonEmpty(env['ETCD_ENDPOINTS'])) {
    endpoints = list(env['ETCD_ENDPOINTS']!);
    etcdSource = 'ETCD_ENDPOINTS';
  } else if (nonEmpty(felix('EtcdEndpoints'))) {
    endpoints = list(felix('EtcdEndpoints')!);
    etcdSource = 'EtcdEndpoints';
  } else if (nonEmpty(felix('EtcdAddr'))) {
    endpoints = [`${nonEmpty(felix('EtcdScheme')) ?? 'http'}://${felix('EtcdAddr')!.trim()}`];
    etcdSource = 'EtcdAddr';
  } else {
    endpoints = ['http://127.0.0.1:2379'];
    etcdSource = 'default';
  }
  for (const e of endpoints) {
    if (!/^(https?|unix|unixs):\/\//.test(e)) throw new BgpSettingsError(`Invalid etcd endpoint "${e}" (from ${etcdSource}): expected http://, https:// or unix://`);
  }
  const tls = {
    ...(nonEmpty(env['ETCD_CA_CERT_FILE'] ?? felix('EtcdCaFile')) && { caFile: nonEmpty(env['ETCD_CA_CERT_FILE'] ?? felix('EtcdCaFile'))! }),
    ...(nonEmpty(env['ETCD_CERT_FILE'] ?? felix('EtcdCertFile')) && { certFile: nonEmpty(env['ETCD_CERT_FILE'] ?? felix('EtcdCertFile'))! }),
    ...(nonEmpty(env['ETCD_KEY_FILE'] ?? felix('EtcdKeyFile')) && { keyFile: nonEmpty(env['ETCD_KEY_FILE'] ?? felix('EtcdKeyFile'))! }),
  };
  if (('certFile' in tls) !== ('keyFile' in tls)) throw new BgpSettingsError('The etcd client certificate and key must be given together (ETCD_CERT_FILE and ETCD_KEY_FILE)');
  const username = nonEmpty(env['ETCD_USERNAME'] ?? felix('EtcdUsername'));
  const password = env['ETCD_PASSWORD'] ?? felix('EtcdPassword');
  return {
    nodeName,
    etcd: {
      endpoints,
      ...(Object.keys(tls).length > 0 && { tls }),
      ...(username !== undefined && { username, password: password ?? '' }),
    },
    sources: { nodeName: nodeSource, etcd: etcdSource },
  };
}
