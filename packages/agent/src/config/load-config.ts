/**
 * The agent's configuration loader: the only code that reads `process.env` and felix.cfg.
 * `readLocalConfigSources` gathers the local sources; `resolveConfig` applies Felix's
 * precedence (override > environment > config file > datastore per host > per selector >
 * global > default), parses and validates every value once, reports every problem together
 * and returns a frozen, typed `AgentConfig` with the etcd connection it implies.
 * @module
 */
import { readFile } from 'node:fs/promises';
import { hostname as kernelHostname } from 'node:os';
import { FelixCfgSyntaxError, parseFelixCfg } from '@percale/daemon';
import type { DatastoreConfigSources } from './datastore-config.ts';
import { paramName, PARAMS, type AgentConfig, type ParamDecl, type ParamName } from './schema.ts';

/** Felix's default config file. */
export const DEFAULT_CONFIG_FILE = '/etc/calico/felix.cfg';

/** Where a value came from, highest precedence first. */
export type ConfigSource = 'override' | 'environment' | 'config file' | 'datastore (per host)' | 'datastore (per selector)' | 'datastore (global)' | 'default';

/** The generic datastore client variables (`ETCD_*`, with `CALICO_ETCD_*` winning), as libcalico-go reads them. */
export interface ClientEnvironment {
  endpoints?: string;
  keyFile?: string;
  certFile?: string;
  caFile?: string;
  /** Inline PEM text (`ETCD_KEY`, `ETCD_CERT`, `ETCD_CA_CERT`). */
  key?: string;
  cert?: string;
  ca?: string;
  username?: string;
  password?: string;
}

/** The sources read on this host, before the datastore is reached. */
export interface LocalConfigSources {
  /** `FELIX_*` variables, by the name after the prefix. */
  environment: Record<string, string>;
  configFile: { path: string; found: boolean; values: Record<string, string> };
  clientEnvironment: ClientEnvironment;
  /** The kernel's hostname, lower-cased (FelixHostname's default). */
  hostname: string;
  /** Problems found while reading (an unreadable or malformed file). */
  problems: ConfigProblem[];
  warnings: string[];
}

/** One invalid value. */
export interface ConfigProblem {
  /** The parameter (or file) concerned. */
  param: string;
  value?: string;
  source?: ConfigSource;
  reason: string;
}

/** The configuration cannot be used; lists every problem found. */
export class ConfigError extends Error {
  readonly code = 'AGENT_CONFIG_INVALID';
  readonly problems: readonly ConfigProblem[];
  constructor(problems: readonly ConfigProblem[]) {
    super(`Invalid agent configuration:\n${problems.map((p) => `  - ${describeProblem(p)}`).join('\n')}`);
    this.name = 'ConfigError';
    this.problems = problems;
  }
}

/** `OpenstackRegion "Region_One" (from environment): must be …` */
export function describeProblem(p: ConfigProblem): string {
  const value = p.value === undefined ? '' : ` ${JSON.stringify(p.value)}`;
  const source = p.source ? ` (from ${p.source})` : '';
  return `${p.param}${value}${source}: ${p.reason}`;
}

/** How to reach etcd, as the local sources say (Felix's `Config.DatastoreConfig`). */
export interface EtcdConnection {
  endpoints: string[];
  tls?: { caFile?: string; certFile?: string; keyFile?: string; ca?: string; cert?: string; key?: string };
  username?: string;
  password?: string;
}

/** A resolved configuration. */
export interface ResolvedConfig {
  config: AgentConfig;
  /** Where each parameter's value came from. */
  sources: Readonly<Record<ParamName, ConfigSource>>;
  /** Winning raw values by name, unknown names included (Felix keeps them for plugins). */
  raw: Readonly<Record<string, string>>;
  etcd: EtcdConnection;
  /** Values ignored or replaced by defaults, one sentence each. */
  warnings: readonly string[];
}

export interface ReadLocalOptions {
  /** felix.cfg path (default `/etc/calico/felix.cfg`); an absent file is not an error. */
  configFile?: string;
  /** The environment (default `process.env`). */
  env?: Readonly<Record<string, string | undefined>>;
  /** The kernel hostname (default `os.hostname()`). */
  hostname?: string;
}

const CLIENT_VARS: Record<keyof ClientEnvironment, string> = {
  endpoints: 'ETCD_ENDPOINTS',
  keyFile: 'ETCD_KEY_FILE',
  certFile: 'ETCD_CERT_FILE',
  caFile: 'ETCD_CA_CERT_FILE',
  key: 'ETCD_KEY',
  cert: 'ETCD_CERT',
  ca: 'ETCD_CA_CERT',
  username: 'ETCD_USERNAME',
  password: 'ETCD_PASSWORD',
};

/** Reads the environment and felix.cfg. Never throws for bad content: problems are returned for `resolveConfig`. */
export async function readLocalConfigSources(options: ReadLocalOptions = {}): Promise<LocalConfigSources> {
  const env = options.env ?? process.env;
  const problems: ConfigProblem[] = [];
  const warnings: string[] = [];
  const environment: Record<string, string> = {};
  for (const [name, value] of Object.entries(env)) {
    if (value === undefined || !name.toLowerCase().startsWith('felix_') || name.length === 'felix_'.length) continue;
    environment[name.slice('felix_'.length)] = value;
  }
  const clientEnvironment: ClientEnvironment = {};
  for (const [field, name] of Object.entries(CLIENT_VARS) as [keyof ClientEnvironment, string][]) {
    const value = env[`CALICO_${name}`] ?? env[name];
    if (value) clientEnvironment[field] = value;
  }
  const path = options.configFile ?? DEFAULT_CONFIG_FILE;
  const configFile = { path, found: false, values: {} as Record<string, string> };
  let text: string | undefined;
  try {
    text = await readFile(path, 'utf8');
    configFile.found = true;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code !== 'ENOENT') problems.push({ param: 'config file', value: path, reason: `cannot be read: ${(err as Error).message}` });
  }
  if (text !== undefined) {
    try {
      const seen = new Map<string, string>();
      for (const entry of parseFelixCfg(text)) {
        const lower = entry.key.toLowerCase();
        if (seen.has(lower)) warnings.push(`${path} line ${entry.line}: multiple values for ${entry.key}; the later one (section [${entry.section}]) wins`);
        const earlier = seen.get(lower);
        if (earlier !== undefined) delete configFile.values[earlier];
        seen.set(lower, entry.key);
        configFile.values[entry.key] = entry.value;
      }
    } catch (err) {
      if (!(err instanceof FelixCfgSyntaxError)) throw err;
      problems.push({ param: 'config file', value: path, reason: err.message });
    }
  }
  return { environment, configFile, clientEnvironment, hostname: (options.hostname ?? kernelHostname()).toLowerCase(), problems, warnings };
}

const NO_DATASTORE: DatastoreConfigSources = { perHost: {}, perSelector: {}, global: {}, datastoreReady: false };

/**
 * Applies precedence to every source, parses and validates each value, checks the
 * cross-field rules, and freezes the result.
 * @throws {ConfigError} listing every problem at once.
 */
export function resolveConfig(local: LocalConfigSources, datastore: DatastoreConfigSources = NO_DATASTORE, overrides: Record<string, string> = {}): ResolvedConfig {
  const problems: ConfigProblem[] = [...local.problems];
  const warnings: string[] = [...local.warnings];
  const ranked: [ConfigSource, Record<string, string>][] = [
    ['override', overrides],
    ['environment', local.environment],
    ['config file', local.configFile.values],
    ['datastore (per host)', datastore.perHost],
    ['datastore (per selector)', datastore.perSelector],
    ['datastore (global)', datastore.global],
  ];
  const values: Record<string, unknown> = {};
  const sources: Record<string, ConfigSource> = {};
  const raw: Record<string, string> = {};
  const setBy = new Map<ParamName, Set<ConfigSource>>();
  for (const [name, decl] of Object.entries(PARAMS) as [ParamName, ParamDecl<unknown>][]) {
    values[name] = defaultValue(name, decl);
    sources[name] = 'default';
  }
  values.FelixHostname = local.hostname;

  const decided = new Set<string>();
  for (const [source, map] of ranked) {
    for (const [rawName, rawValue] of Object.entries(map)) {
      if (rawValue === '') continue; // Felix: empty values are ignored; `none` means "zero".
      const name = paramName(rawName);
      if (!name) {
        const lower = rawName.toLowerCase();
        if (!decided.has(lower)) {
          decided.add(lower);
          raw[rawName] = rawValue;
          warnings.push(`Ignoring unknown config parameter ${rawName} (from ${source})`);
        }
        continue;
      }
      const decl: ParamDecl<unknown> = PARAMS[name];
      const isLocalSource = source === 'environment' || source === 'config file' || source === 'override';
      if (decl.local && !isLocalSource) {
        warnings.push(`Ignoring local-only configuration ${name}=${JSON.stringify(rawValue)} from ${source}`);
        continue;
      }
      let value: unknown;
      if (rawValue.toLowerCase() === 'none') {
        if (decl.nonZero) {
          problems.push({ param: name, value: rawValue, source, reason: 'cannot be none: the parameter must have a value' });
          continue;
        }
        value = decl.type.zero;
      } else {
        const parsed = decl.type.parse(rawValue);
        if (!parsed.ok) {
          // Felix parses every source's value, winning or not, and dies on a bad die-on-fail one.
          if (decl.dieOnFail) {
            problems.push({ param: name, value: rawValue, source, reason: parsed.reason });
            continue;
          }
          warnings.push(`Invalid value for ${name}: ${JSON.stringify(rawValue)} (from ${source}): ${parsed.reason}; using the default ${JSON.stringify(decl.default)}`);
          value = defaultValue(name, decl);
        } else {
          value = parsed.value;
        }
      }
      (setBy.get(name) ?? setBy.set(name, new Set()).get(name)!).add(source);
      if (decided.has(name)) continue;
      decided.add(name);
      values[name] = value;
      sources[name] = source;
      raw[name] = rawValue;
    }
  }

  const config = values as unknown as AgentConfig;
  problems.push(...crossFieldProblems(config, sources as Record<ParamName, ConfigSource>));
  const etcd = etcdConnection(config, local.clientEnvironment, (n) => setBy.get(n)?.has('environment') === true || setBy.get(n)?.has('config file') === true);
  if (problems.length > 0) throw new ConfigError(problems);
  return { config: deepFreeze(config), sources: Object.freeze(sources as Record<ParamName, ConfigSource>), raw: Object.freeze(raw), etcd, warnings: Object.freeze(warnings) };
}

function defaultValue(name: ParamName, decl: ParamDecl<unknown>): unknown {
  if (decl.default === '') return decl.type.zero;
  const parsed = decl.type.parse(decl.default);
  // A bad default is a bug in schema.ts (the schema test parses every default).
  if (!parsed.ok) throw new Error(`Default of ${name} (${JSON.stringify(decl.default)}) does not parse: ${parsed.reason}`);
  return parsed.value;
}

/** Felix's `Config.Validate`, plus what Percale does not support. */
function crossFieldProblems(config: AgentConfig, sources: Record<ParamName, ConfigSource>): ConfigProblem[] {
  const out: ConfigProblem[] = [];
  const at = (param: ParamName) => ({ param, value: String(config[param]), source: sources[param] });
  if (config.FelixHostname === '') out.push({ param: 'FelixHostname', reason: 'failed to determine hostname: set FelixHostname or FELIX_FELIXHOSTNAME' });
  if (config.DatastoreType === 'kubernetes') out.push({ ...at('DatastoreType'), reason: 'Percale supports the etcdv3 datastore only' });
  if (config.DatastoreType === 'etcdv3' && config.EtcdEndpoints.length === 0) {
    if (config.EtcdScheme === '') out.push({ param: 'EtcdScheme', reason: 'both EtcdEndpoints and EtcdScheme are missing' });
    if (config.EtcdAddr === '') out.push({ param: 'EtcdAddr', reason: 'both EtcdEndpoints and EtcdAddr are missing' });
  }
  if (config.TyphaAddr !== '' || config.TyphaK8sServiceName !== '') {
    out.push({ ...at(config.TyphaAddr !== '' ? 'TyphaAddr' : 'TyphaK8sServiceName'), reason: 'Typha is not supported: the agent reads etcd directly' });
  }
  if ((config.EtcdCertFile === '') !== (config.EtcdKeyFile === '')) {
    out.push({ ...at(config.EtcdCertFile === '' ? 'EtcdKeyFile' : 'EtcdCertFile'), reason: 'EtcdCertFile and EtcdKeyFile must be given together' });
  }
  return out;
}

/**
 * The etcd connection: `ETCD_*`/`CALICO_ETCD_*` first, then Felix's own parameters when
 * set in the environment or felix.cfg (EtcdEndpoints, else EtcdScheme://EtcdAddr).
 */
function etcdConnection(config: AgentConfig, client: ClientEnvironment, setLocally: (name: ParamName) => boolean): EtcdConnection {
  let endpoints = (client.endpoints ?? '').split(',').map((s) => s.trim()).filter(Boolean);
  if (setLocally('EtcdEndpoints') && config.EtcdEndpoints.length > 0) endpoints = [...config.EtcdEndpoints];
  else if (setLocally('EtcdAddr')) endpoints = [`${config.EtcdScheme}://${config.EtcdAddr}`];
  if (endpoints.length === 0) endpoints = [`${config.EtcdScheme || 'http'}://${config.EtcdAddr || '127.0.0.1:2379'}`];
  const pick = (param: ParamName, fromEnv: string | undefined) => (setLocally(param) && config[param] !== '' ? (config[param] as string) : fromEnv);
  const files = { keyFile: pick('EtcdKeyFile', client.keyFile), certFile: pick('EtcdCertFile', client.certFile), caFile: pick('EtcdCaFile', client.caFile) };
  const tls: NonNullable<EtcdConnection['tls']> = {};
  if (files.caFile) tls.caFile = files.caFile;
  else if (client.ca) tls.ca = client.ca;
  if (files.certFile) tls.certFile = files.certFile;
  else if (client.cert) tls.cert = client.cert;
  if (files.keyFile) tls.keyFile = files.keyFile;
  else if (client.key) tls.key = client.key;
  const secure = endpoints.some((e) => e.startsWith('https:')) || Object.keys(tls).length > 0;
  return {
    endpoints,
    ...(secure && { tls }),
    ...(client.username !== undefined && client.password !== undefined && { username: client.username, password: client.password }),
  };
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !(value instanceof RegExp) && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}

/** Parameters whose values differ between two configurations. */
export function changedParams(a: AgentConfig, b: AgentConfig): ParamName[] {
  const same = (x: unknown, y: unknown): boolean => {
    if (x instanceof RegExp || y instanceof RegExp) return x instanceof RegExp && y instanceof RegExp && x.source === y.source && x.flags === y.flags;
    if (Array.isArray(x) || Array.isArray(y)) return Array.isArray(x) && Array.isArray(y) && x.length === y.length && x.every((v, i) => same(v, y[i]));
    if (x && y && typeof x === 'object' && typeof y === 'object') {
      const kx = Object.keys(x);
      return kx.length === Object.keys(y).length && kx.every((k) => same((x as Record<string, unknown>)[k], (y as Record<string, unknown>)[k]));
    }
    return x === y;
  };
  return (Object.keys(PARAMS) as ParamName[]).filter((n) => !same(a[n], b[n]));
}
