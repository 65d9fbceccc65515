/**
 * Loads the controller's configuration from neutron.conf the way neutron-server would: the
 * `--config-file` list in order, then each `--config-dir`'s `*.conf` files in sorted order,
 * with `OS_<GROUP>__<OPTION>` environment variables overriding them (oslo.config). Only the
 * options the controller uses are read; everything else in the files is ignored, as oslo
 * ignores options nobody registered.
 * @module
 */
import { readdirSync, readFileSync } from 'node:fs';
import { hostname as osHostname } from 'node:os';
import { join } from 'node:path';
import { ConfigError, type ConfigProblem } from './config-error.ts';
import { DEFAULT_BW_BURST, DEFAULT_PR_BURST, type AuthConfig, type ControllerConfig, type KeystoneCredentials, type QosConfig } from './controller-config.ts';
import { OsloConfig, problemOrigin, type OsloValue } from './oslo-config.ts';
import { parseOsloIni, type OsloIniFile } from './oslo-ini.ts';
import { regionNamespace, regionProblem, regionString } from './region.ts';

/** Where to read the configuration from. */
export interface LoadControllerConfigOptions {
  /** `--config-file` paths in command-line order (later files win), e.g. `/etc/neutron/neutron.conf`. */
  configFiles: string[];
  /** `--config-dir` paths: each directory's `*.conf` files are read after `configFiles`, in sorted order. */
  configDirs?: string[];
  /** Environment for `OS_<GROUP>__<OPTION>` overrides (default: none, so tests are hermetic). */
  env?: NodeJS.ProcessEnv;
  /** The default `elector_name` (default: this machine's host name). */
  hostname?: string;
}

/** neutron-server's default `bind_port`. */
export const DEFAULT_NEUTRON_PORT = 9696;

const TRUE_VALUES = ['true', '1', 'on', 'yes'];
const FALSE_VALUES = ['false', '0', 'off', 'no'];

/**
 * Reads and checks the controller's configuration.
 * @throws {ConfigError} listing every unreadable file and unusable value (file, section, option, reason).
 *
 * @example
 * const config = loadControllerConfig({ configFiles: ['/etc/neutron/neutron.conf'], env: process.env });
 * console.log(config.namespace); // "openstack-region-europe"
 */
export function loadControllerConfig(options: LoadControllerConfigOptions): ControllerConfig {
  const { files, parsed } = readSources(options.configFiles, options.configDirs ?? []);
  const reader = new OptionReader(new OsloConfig(parsed, options.env ?? {}));

  const etcdHost = reader.string('calico', 'etcd_host') ?? '127.0.0.1';
  const etcdPort = reader.int('calico', 'etcd_port', 2379, { min: 1, max: 65535 });
  const tls = {
    caFile: reader.string('calico', 'etcd_ca_cert_file'),
    certFile: reader.string('calico', 'etcd_cert_file'),
    keyFile: reader.string('calico', 'etcd_key_file'),
  };
  const tlsSet = Object.values(tls).some((v) => v);
  const username = reader.string('calico', 'etcd_username');
  const password = reader.string('calico', 'etcd_password');

  const region = reader.string('calico', 'openstack_region', (v) => regionProblem(v)) || undefined;

  const electionTtl = reader.int('calico', 'election_ttl_secs', 60, { min: 1 });
  const electionRefresh = reader.int('calico', 'election_refresh_secs', 10, { min: 1 });
  if (electionRefresh >= electionTtl) {
    const at = reader.lookup('calico', 'election_refresh_secs') ?? reader.lookup('calico', 'election_ttl_secs');
    reader.problems.push({
      ...(at ? problemOrigin(at) : { section: 'calico', option: 'election_refresh_secs' }),
      reason: `the election refresh interval (${electionRefresh} s) must be shorter than the election TTL (${electionTtl} s)`,
    });
  }

  const config: ControllerConfig = {
    files,
    etcd: {
      endpoints: [`${tlsSet ? 'https' : 'http'}://${hostForUrl(etcdHost)}:${etcdPort}`],
      host: etcdHost,
      port: etcdPort,
      ...(tlsSet ? { tls: withoutUndefined(tls) } : {}),
      ...(username ? { username } : {}),
      ...(password ? { password } : {}),
      timeoutSeconds: reader.int('calico', 'etcd_timeout', 60, { min: 1 }),
    },
    region,
    regionString: regionString(region),
    namespace: regionNamespace(region),
    election: {
      electorName: reader.string('calico', 'elector_name') || (options.hostname ?? osHostname()),
      ttlSeconds: electionTtl,
      refreshSeconds: electionRefresh,
    },
    startupResync: reader.choice('calico', 'startup_resync', ['always', 'never'] as const, 'always'),
    projectNameCacheMax: reader.int('calico', 'project_name_cache_max', 100, { min: 0 }),
    compaction: {
      periodMinutes: reader.int('calico', 'etcd_compaction_period_mins', 60, { min: 0 }),
      minRevisions: reader.int('calico', 'etcd_compaction_min_revisions', 1000, { min: 0 }),
    },
    qos: readQos(reader),
    auth: readAuth(reader),
    neutronApiUrl: readNeutronApiUrl(reader),
    messaging: readMessaging(reader),
  };
  if (reader.problems.length > 0) throw new ConfigError(reader.problems);
  return config;
}

function readSources(configFiles: readonly string[], configDirs: readonly string[]): { files: string[]; parsed: OsloIniFile[] } {
  const problems: ConfigProblem[] = [];
  const files: string[] = [...configFiles];
  for (const dir of configDirs) {
    try {
      // Python's sorted(glob('*.conf')): code-point order of the names.
      const names = readdirSync(dir).filter((n) => n.endsWith('.conf')).sort();
      files.push(...names.map((n) => join(dir, n)));
    } catch (err) {
      problems.push({ file: dir, reason: `cannot read the configuration directory: ${errorText(err)}` });
    }
  }
  const parsed: OsloIniFile[] = [];
  for (const file of files) {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (err) {
      problems.push({ file, reason: `cannot read the configuration file: ${errorText(err)}` });
      continue;
    }
    try {
      parsed.push(parseOsloIni(text, file));
    } catch (err) {
      if (err instanceof ConfigError) problems.push(...err.problems);
      else throw err;
    }
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return { files, parsed };
}

function readQos(reader: OptionReader): QosConfig {
  const n = (option: string, fallback: number) => reader.int('calico', option, fallback, { min: 0 });
  return {
    maxIngressConnectionsPerPort: n('max_ingress_connections_per_port', 0),
    maxEgressConnectionsPerPort: n('max_egress_connections_per_port', 0),
    ingressBurstBits: n('ingress_burst_bits', DEFAULT_BW_BURST),
    egressBurstBits: n('egress_burst_bits', DEFAULT_BW_BURST),
    ingressMinburstBytes: n('ingress_minburst_bytes', 0),
    egressMinburstBytes: n('egress_minburst_bytes', 0),
    ingressBurstPackets: n('ingress_burst_packets', DEFAULT_PR_BURST),
    egressBurstPackets: n('egress_burst_packets', DEFAULT_PR_BURST),
  };
}

function readAuth(reader: OptionReader): AuthConfig {
  // neutron-server's default strategy is keystone; noauth is for labs and tests.
  const strategy = reader.choice('DEFAULT', 'auth_strategy', ['keystone', 'noauth'] as const, 'keystone');
  if (strategy === 'noauth') return { strategy };
  const required = (option: string): string => {
    const value = reader.string('keystone_authtoken', option);
    if (!value) {
      reader.problems.push({
        section: 'keystone_authtoken', option,
        reason: 'must be set when [DEFAULT] auth_strategy is keystone: the controller needs Keystone credentials to read Neutron and project names',
      });
    }
    return value ?? '';
  };
  const authUrl = required('auth_url');
  const keystone: KeystoneCredentials = {
    authUrl: authUrl && normaliseKeystoneUrl(authUrl),
    username: required('username'),
    password: required('password'),
    // An unscoped token can neither call Neutron nor list projects.
    projectName: required('project_name'),
  };
  const optional = [
    ['userDomainName', 'user_domain_name'], ['userDomainId', 'user_domain_id'],
    ['projectDomainName', 'project_domain_name'], ['projectDomainId', 'project_domain_id'], ['regionName', 'region_name'],
  ] as const;
  for (const [field, option] of optional) {
    const value = reader.string('keystone_authtoken', option);
    if (value) keystone[field] = value;
  }
  return { strategy, keystone };
}

/**
 * networking-calico drops a trailing `/v3` or `/v3/` and appends `/v3`. Trailing slashes are
 * removed first here, so `http://keystone:5000/` gives `…:5000/v3` rather than `…:5000//v3`.
 */
export function normaliseKeystoneUrl(url: string): string {
  return `${url.replace(/\/+$/, '').replace(/\/v3$/, '')}/v3`;
}

function readNeutronApiUrl(reader: OptionReader): string {
  const explicit = reader.lookup('calico', 'neutron_api_url');
  if (explicit?.value) {
    let url: URL | undefined;
    try {
      url = new URL(explicit.value);
    } catch {
      url = undefined;
    }
    if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:')) {
      reader.problems.push({ ...problemOrigin(explicit), reason: 'must be an http:// or https:// URL' });
      return '';
    }
    return explicit.value.replace(/\/+$/, '');
  }
  const bindHost = reader.string('DEFAULT', 'bind_host') || '0.0.0.0';
  const bindPort = reader.int('DEFAULT', 'bind_port', DEFAULT_NEUTRON_PORT, { min: 1, max: 65535 });
  // A wildcard bind address is reachable on loopback; the controller runs beside neutron-server.
  const host = bindHost === '0.0.0.0' || bindHost === '::' ? '127.0.0.1' : bindHost;
  return `http://${hostForUrl(host)}:${bindPort}`;
}

function readMessaging(reader: OptionReader): ControllerConfig['messaging'] {
  const rpcUrl = reader.string('DEFAULT', 'transport_url') || undefined;
  const notificationUrl = reader.string('oslo_messaging_notifications', 'transport_url') || rpcUrl;
  const exchange = reader.string('DEFAULT', 'control_exchange') || 'neutron';
  const topics = listValue(reader.string('oslo_messaging_notifications', 'topics') ?? 'notifications');
  const drivers = reader.all('oslo_messaging_notifications', 'driver').flatMap((v) => listValue(v.value));
  return {
    notifications: { ...(notificationUrl ? { transportUrl: notificationUrl } : {}), drivers, topics, exchange },
    rpc: { ...(rpcUrl ? { transportUrl: rpcUrl } : {}), exchange },
    rabbit: {
      durableQueues: reader.bool('oslo_messaging_rabbit', 'amqp_durable_queues', false),
      autoDelete: reader.bool('oslo_messaging_rabbit', 'amqp_auto_delete', false),
    },
  };
}

/** oslo's ListOpt: comma-separated, each item trimmed, empty items dropped. */
function listValue(text: string): string[] {
  return text.split(',').map((s) => s.trim()).filter((s) => s !== '');
}

function hostForUrl(host: string): string {
  return host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
}

function withoutUndefined<T extends object>(obj: T): T {
  return Object.fromEntries(Object.entries(obj).filter(([, v]) => v !== undefined && v !== '')) as T;
}

function errorText(err: unknown): string {
  return (err as NodeJS.ErrnoException)?.code === 'ENOENT' ? 'no such file or directory' : err instanceof Error ? err.message : String(err);
}

/** Typed option access over an OsloConfig, collecting problems instead of stopping at the first. */
class OptionReader {
  readonly problems: ConfigProblem[] = [];
  readonly #conf: OsloConfig;

  constructor(conf: OsloConfig) {
    this.#conf = conf;
  }

  lookup(section: string, option: string): OsloValue | undefined {
    try {
      return this.#conf.get(section, option);
    } catch (err) {
      if (!(err instanceof ConfigError)) throw err;
      this.problems.push(...err.problems);
      return undefined;
    }
  }

  all(section: string, option: string): OsloValue[] {
    try {
      return this.#conf.getAll(section, option);
    } catch (err) {
      if (!(err instanceof ConfigError)) throw err;
      this.problems.push(...err.problems);
      return [];
    }
  }

  /** A string option; `check` returns a reason when the value is unusable. */
  string(section: string, option: string, check?: (value: string) => string | undefined): string | undefined {
    const v = this.lookup(section, option);
    if (!v) return undefined;
    const reason = check?.(v.value);
    if (reason) {
      this.problems.push({ ...problemOrigin(v), reason });
      return undefined;
    }
    return v.value;
  }

  /** An IntOpt. Python's int() syntax; an empty value counts as unset. */
  int(section: string, option: string, fallback: number, range: { min?: number; max?: number } = {}): number {
    const v = this.lookup(section, option);
    const text = v?.value.trim();
    if (!v || text === '') return fallback;
    if (!/^[+-]?\d+(_\d+)*$/.test(text!)) {
      this.problems.push({ ...problemOrigin(v), reason: 'must be an integer' });
      return fallback;
    }
    const n = Number(text!.replaceAll('_', ''));
    if ((range.min !== undefined && n < range.min) || (range.max !== undefined && n > range.max)) {
      const bounds = range.max === undefined ? `at least ${range.min}` : `between ${range.min} and ${range.max}`;
      this.problems.push({ ...problemOrigin(v), reason: `must be ${bounds}` });
      return fallback;
    }
    return n;
  }

  /** A BoolOpt (true/false, yes/no, on/off, 1/0, any case). */
  bool(section: string, option: string, fallback: boolean): boolean {
    const v = this.lookup(section, option);
    if (!v) return fallback;
    const s = v.value.trim().toLowerCase();
    if (TRUE_VALUES.includes(s)) return true;
    if (FALSE_VALUES.includes(s)) return false;
    this.problems.push({ ...problemOrigin(v), reason: 'must be a boolean (true/false, yes/no, on/off or 1/0)' });
    return fallback;
  }

  /** A StrOpt with choices; an empty value counts as unset. */
  choice<T extends string>(section: string, option: string, choices: readonly T[], fallback: T): T {
    const v = this.lookup(section, option);
    if (!v || v.value === '') return fallback;
    if ((choices as readonly string[]).includes(v.value)) return v.value as T;
    this.problems.push({ ...problemOrigin(v), reason: `must be one of ${choices.map((c) => `"${c}"`).join(', ')}` });
    return fallback;
  }
}
