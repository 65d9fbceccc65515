/**
 * Where calicoctl finds its datastore: the CalicoAPIConfig file (default
 * /etc/calico/calicoctl.cfg) or, when the default file does not exist, the
 * environment. This module is the only place that reads `process.env`; everything
 * else receives the frozen `ConnectionConfig` it returns.
 * @module
 */
import { existsSync, readFileSync } from 'node:fs';
import { parseDocument } from '../input/parse-document.ts';

/** calicoctl's default connection file. */
export const DEFAULT_CONFIG_PATH = '/etc/calico/calicoctl.cfg';

/** Used when neither the file nor the environment names an etcd endpoint. */
export const DEFAULT_ETCD_ENDPOINT = 'http://127.0.0.1:2379';

/** How to reach the etcd datastore. */
export interface ConnectionConfig {
  readonly datastoreType: 'etcdv3';
  /** Client URLs; empty when `etcdDiscoverySrv` is used. */
  readonly etcdEndpoints: readonly string[];
  /** DNS domain for SRV discovery (`_etcd-client._tcp.<domain>`). */
  readonly etcdDiscoverySrv?: string;
  readonly etcdUsername?: string;
  readonly etcdPassword?: string;
  readonly etcdKeyFile?: string;
  readonly etcdCertFile?: string;
  readonly etcdCACertFile?: string;
  /** Inline PEM material (file only). */
  readonly etcdKey?: string;
  readonly etcdCert?: string;
  readonly etcdCACert?: string;
  /** Where the settings came from, for messages and logs. */
  readonly source: 'file' | 'environment' | 'default';
  readonly path?: string;
}

/** The configuration could not be loaded; calicoctl reports it as a client-creation failure. */
export class ConnectionConfigError extends Error {
  readonly code = 'CLI_CONNECTION_CONFIG';
  constructor(message: string) {
    super(message);
    this.name = 'ConnectionConfigError';
  }
}

/** An explicitly named config file does not exist (`Error reading config file: <path>`). */
export class ConfigFileMissingError extends Error {
  readonly code = 'CLI_CONFIG_FILE_MISSING';
  readonly path: string;
  constructor(path: string) {
    super(`Error reading config file: ${path}`);
    this.name = 'ConfigFileMissingError';
    this.path = path;
  }
}

type Env = Readonly<Record<string, string | undefined>>;

// spec field → environment variable (also read with a CALICO_ prefix, which wins).
const ENV_FIELDS = {
  datastoreType: 'DATASTORE_TYPE',
  etcdEndpoints: 'ETCD_ENDPOINTS',
  etcdDiscoverySrv: 'ETCD_DISCOVERY_SRV',
  etcdUsername: 'ETCD_USERNAME',
  etcdPassword: 'ETCD_PASSWORD',
  etcdKeyFile: 'ETCD_KEY_FILE',
  etcdCertFile: 'ETCD_CERT_FILE',
  etcdCACertFile: 'ETCD_CA_CERT_FILE',
  kubeconfig: 'KUBECONFIG',
  k8sAPIEndpoint: 'K8S_API_ENDPOINT',
  k8sKeyFile: 'K8S_KEY_FILE',
  k8sCertFile: 'K8S_CERT_FILE',
  k8sCAFile: 'K8S_CA_FILE',
  k8sInsecureSkipTLSVerify: 'K8S_INSECURE_SKIP_TLS_VERIFY',
  k8sDisableNodePoll: 'K8S_DISABLE_NODE_POLL',
  usePodCIDR: 'USE_POD_CIDR',
  k8sClientQPS: 'K8S_CLIENT_QPS',
  k8sClientBurst: 'K8S_CLIENT_BURST',
  k8sCurrentContext: 'K8S_CURRENT_CONTEXT',
  calicoAPIGroup: 'CALICO_API_GROUP',
} as const;

// Every spec field of CalicoAPIConfig with its JSON type; anything else is an unknown field.
const SPEC_FIELDS: Record<string, 'string' | 'boolean' | 'number'> = {
  datastoreType: 'string', etcdEndpoints: 'string', etcdDiscoverySrv: 'string', etcdUsername: 'string',
  etcdPassword: 'string', etcdKeyFile: 'string', etcdCertFile: 'string', etcdCACertFile: 'string',
  etcdKey: 'string', etcdCert: 'string', etcdCACert: 'string', kubeconfig: 'string', k8sAPIEndpoint: 'string',
  k8sKeyFile: 'string', k8sCertFile: 'string', k8sCAFile: 'string', k8sAPIToken: 'string',
  k8sInsecureSkipTLSVerify: 'boolean', k8sDisableNodePoll: 'boolean', usePodCIDR: 'boolean',
  kubeconfigInline: 'string', k8sClientQPS: 'number', k8sClientBurst: 'number', k8sCurrentContext: 'string',
  calicoAPIGroup: 'string',
};

/** The environment of this process, for callers that do not inject their own. */
export function processEnvironment(): Env {
  return process.env;
}

type Spec = Record<string, string | boolean | number | undefined>;

function specFromEnvironment(env: Env): Spec {
  const spec: Spec = {};
  for (const [field, name] of Object.entries(ENV_FIELDS)) {
    const value = env[`CALICO_${name}`] ?? env[name];
    if (value !== undefined && value !== '') spec[field] = value;
  }
  return spec;
}

async function specFromFile(path: string): Promise<Spec> {
  let value: unknown;
  try {
    value = await parseDocument(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new ConnectionConfigError(`syntax error in ${path}: failed to parse config as YAML/JSON: ${(err as Error).message}`);
  }
  const fail = (detail: string): never => {
    throw new ConnectionConfigError(`syntax error in ${path}: failed to parse config as YAML/JSON: ${detail}`);
  };
  if (value === null || typeof value !== 'object' || Array.isArray(value)) fail('the document is not a mapping');
  const doc = value as Record<string, unknown>;
  for (const key of Object.keys(doc)) {
    if (!['apiVersion', 'kind', 'metadata', 'spec'].includes(key)) fail(`unknown field "${key}"`);
  }
  if (doc.apiVersion !== 'projectcalico.org/v3') {
    throw new ConnectionConfigError(`invalid config file: unknown APIVersion '${String(doc.apiVersion ?? '')}'`);
  }
  if (doc.kind !== 'CalicoAPIConfig') {
    throw new ConnectionConfigError(`invalid config file: expected kind 'CalicoAPIConfig', got '${String(doc.kind ?? '')}'`);
  }
  const raw = doc.spec ?? {};
  if (typeof raw !== 'object' || Array.isArray(raw)) fail('spec must be a mapping');
  const spec: Spec = {};
  for (const [key, v] of Object.entries(raw as Record<string, unknown>)) {
    const type = SPEC_FIELDS[key];
    if (!type) fail(`unknown field "${key}"`);
    if (v === null) continue;
    // sigs.k8s.io/yaml turns YAML numbers and booleans into strings for string fields.
    if (type === 'string' && (typeof v === 'number' || typeof v === 'boolean')) spec[key] = String(v);
    else if (typeof v !== type) fail(`json: cannot unmarshal ${Array.isArray(v) ? 'array' : typeof v} into Go struct field CalicoAPIConfigSpec.spec.${key} of type ${type === 'number' ? 'int' : type === 'boolean' ? 'bool' : 'string'}`);
    else spec[key] = v as string | boolean | number;
  }
  return spec;
}

const str = (v: string | boolean | number | undefined) => (typeof v === 'string' && v !== '' ? v : undefined);

function toConfig(spec: Spec, source: ConnectionConfig['source'], path?: string): ConnectionConfig {
  const type = str(spec.datastoreType) ?? 'etcdv3';
  if (type === 'kubernetes') {
    throw new ConnectionConfigError(
      `datastore type "kubernetes" is not supported: Percale's calicoctl works with the etcdv3 datastore only (set DATASTORE_TYPE=etcdv3 and ETCD_ENDPOINTS, or datastoreType: etcdv3 in ${path ?? DEFAULT_CONFIG_PATH})`,
    );
  }
  if (type !== 'etcdv3') throw new ConnectionConfigError(`unknown datastore type: ${type}`);
  const endpointsText = str(spec.etcdEndpoints);
  const discovery = str(spec.etcdDiscoverySrv);
  if (endpointsText && discovery) {
    throw new ConnectionConfigError('multiple discovery or bootstrap options specified, use either "etcdEndpoints" or "etcdDiscoverySrv"');
  }
  const inline = Boolean(str(spec.etcdKey) || str(spec.etcdCert) || str(spec.etcdCACert));
  const files = Boolean(str(spec.etcdKeyFile) || str(spec.etcdCertFile) || str(spec.etcdCACertFile));
  if (inline && files) throw new ConnectionConfigError('Cannot mix inline certificate-key and certificate / key files');
  // etcd's client takes a bare host:port as a plain-HTTP endpoint, so we do too.
  const etcdEndpoints = endpointsText
    ? endpointsText.split(',').map((e) => e.trim()).filter(Boolean).map((e) => (e.includes('://') ? e : `http://${e}`))
    : discovery ? [] : [DEFAULT_ETCD_ENDPOINT];
  for (const e of etcdEndpoints) {
    let url: URL | undefined;
    try {
      url = new URL(e);
    } catch {
      url = undefined;
    }
    if (!url || !['http:', 'https:', 'unix:', 'unixs:'].includes(url.protocol)) {
      throw new ConnectionConfigError(`invalid etcd endpoint "${e}": expected a URL such as http://127.0.0.1:2379 or https://etcd.example.com:2379`);
    }
  }
  const config: Record<string, unknown> = {
    datastoreType: 'etcdv3',
    etcdEndpoints: Object.freeze(etcdEndpoints),
    source: !endpointsText && !discovery && source === 'environment' ? 'default' : source,
  };
  if (path) config.path = path;
  for (const key of ['etcdDiscoverySrv', 'etcdUsername', 'etcdPassword', 'etcdKeyFile', 'etcdCertFile', 'etcdCACertFile', 'etcdKey', 'etcdCert', 'etcdCACert']) {
    const v = str(spec[key]);
    if (v !== undefined) config[key] = v;
  }
  return Object.freeze(config) as unknown as ConnectionConfig;
}

export interface LoadConnectionConfigOptions {
  /** The `--config` value; undefined means the default path. */
  readonly configPath?: string;
  /** Environment to read; defaults to this process's. */
  readonly env?: Env;
}

/**
 * Resolves the connection settings as calicoctl does: an existing config file is the
 * only source; a missing default file means environment variables; a missing
 * explicit file is an error.
 * @throws {ConfigFileMissingError} explicit `--config` path does not exist
 * @throws {ConnectionConfigError} unreadable/invalid file, unsupported datastore type
 */
export async function loadConnectionConfig(options: LoadConnectionConfigOptions = {}): Promise<ConnectionConfig> {
  const path = options.configPath ?? DEFAULT_CONFIG_PATH;
  if (existsSync(path)) return toConfig(await specFromFile(path), 'file', path);
  if (path !== DEFAULT_CONFIG_PATH) throw new ConfigFileMissingError(path);
  return toConfig(specFromEnvironment(options.env ?? processEnvironment()), 'environment');
}

/** A short description of where the datastore is, for error messages. */
export function describeEndpoints(config: ConnectionConfig): string {
  if (config.etcdEndpoints.length) return config.etcdEndpoints.join(',');
  return `SRV records of ${config.etcdDiscoverySrv}`;
}
