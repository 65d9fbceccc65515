/**
 * The datastore connection of one calicoctl run: loads the connection settings,
 * builds the client, and checks — within a few seconds — that etcd answers and that
 * the cluster runs the same Calico version (unless `--allow-version-mismatch`).
 * Failures carry the precedence calicoctl gives them relative to input errors.
 * @module
 */
import type { ResourceClient } from '@percale/datastore';
import { ConfigFileMissingError, describeEndpoints, loadConnectionConfig, type ConnectionConfig } from '../config/connection-config.ts';
import { CommandFailedError, hasCode, messageOf } from '../errors.ts';
import type { Logger } from '../logger.ts';
import { clientVersion, comparableVersion } from '../version.ts';

/** Builds a client for a connection config (injected by tests; etcd by default). */
export type ClientFactory = (config: ConnectionConfig) => Promise<ResourceClient>;

/** How long the first request may take before etcd counts as unreachable. */
export const DEFAULT_PROBE_TIMEOUT_MS = 3000;

/**
 * When a session failure is reported relative to problems with the input files:
 * `first` (an explicitly named config file is missing), `before-input` (version
 * check), or `after-input` (the client could not be created or reached).
 */
export type FailureOrder = 'first' | 'before-input' | 'after-input';

/** A session failure with its reporting order. */
export class SessionError extends CommandFailedError {
  readonly order: FailureOrder;
  constructor(message: string, order: FailureOrder, stream: 'stdout' | 'stderr', cause?: unknown) {
    super(message, { stream, cause });
    this.order = order;
  }
}

export interface SessionOptions {
  readonly configPath?: string;
  readonly allowVersionMismatch: boolean;
  readonly env?: Readonly<Record<string, string | undefined>>;
  readonly connect: ClientFactory;
  readonly probeTimeoutMs?: number;
  readonly log: Logger;
}

function withDeadline<T>(promise: Promise<T>, ms: number): Promise<T | typeof TIMEOUT> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<typeof TIMEOUT>((resolve) => {
    timer = setTimeout(() => resolve(TIMEOUT), ms);
    timer.unref();
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
const TIMEOUT = Symbol('timeout');

/** One run's datastore connection, opened at most once. */
export class DatastoreSession {
  readonly #options: SessionOptions;
  #opening: Promise<ResourceClient> | undefined;
  #client: ResourceClient | undefined;
  config: ConnectionConfig | undefined;

  constructor(options: SessionOptions) {
    this.#options = options;
  }

  /**
   * Connects and runs the version check. Memoised: every caller gets the same client.
   * @throws {SessionError}
   */
  open(): Promise<ResourceClient> {
    this.#opening ??= this.#open();
    return this.#opening;
  }

  /** Settles `open()` without throwing, for callers that report errors in calicoctl's order. */
  async settle(): Promise<{ client: ResourceClient } | { error: SessionError }> {
    try {
      return { client: await this.open() };
    } catch (err) {
      return { error: err as SessionError };
    }
  }

  async close(): Promise<void> {
    const client = this.#client;
    this.#client = undefined;
    if (client) await client.close().catch(() => undefined);
  }

  async #open(): Promise<ResourceClient> {
    const { log } = this.#options;
    let config: ConnectionConfig;
    try {
      config = await loadConnectionConfig({ ...(this.#options.configPath !== undefined && { configPath: this.#options.configPath }), ...(this.#options.env && { env: this.#options.env }) });
    } catch (err) {
      if (err instanceof ConfigFileMissingError) throw new SessionError(err.message, 'first', 'stdout', err);
      throw new SessionError(`Failed to create Calico API client: ${messageOf(err)}`, 'after-input', 'stdout', err);
    }
    this.config = config;
    log.info('Loaded client config', { datastoreType: config.datastoreType, etcdEndpoints: describeEndpoints(config), source: config.source });
    try {
      this.#client = await this.#options.connect(config);
    } catch (err) {
      throw new SessionError(`Failed to create Calico API client: ${messageOf(err)}`, 'after-input', 'stdout', err);
    }
    await this.#probe(this.#client, config);
    return this.#client;
  }

  // Reads ClusterInformation/default: proves etcd answers, and feeds the version check.
  async #probe(client: ResourceClient, config: ConnectionConfig): Promise<void> {
    const { allowVersionMismatch, log } = this.#options;
    const ms = this.#options.probeTimeoutMs ?? DEFAULT_PROBE_TIMEOUT_MS;
    let info: Awaited<ReturnType<ResourceClient['get']>> | typeof TIMEOUT | undefined;
    try {
      info = await withDeadline(client.get({ kind: 'ClusterInformation', name: 'default' }), ms);
    } catch (err) {
      if (hasCode(err, 'DATASTORE_NOT_FOUND')) {
        log.info('Skip version mismatch checking due to ClusterInformation not being present');
        return;
      }
      if (hasCode(err, 'DATASTORE_UNAVAILABLE')) {
        throw new SessionError(`Failed to create Calico API client: ${messageOf(err)}`, 'after-input', 'stdout', err);
      }
      if (allowVersionMismatch) return;
      throw new SessionError(`unable to get Cluster Information to verify version mismatch: ${messageOf(err)}\nUse --allow-version-mismatch to override`, 'before-input', 'stderr', err);
    }
    if (info === TIMEOUT) {
      throw new SessionError(
        `Failed to create Calico API client: cannot connect to the etcd datastore at ${describeEndpoints(config)}: no answer within ${ms / 1000} s`,
        'after-input',
        'stdout',
      );
    }
    if (allowVersionMismatch) return;
    const clusterVersion = String((info.spec as { calicoVersion?: unknown } | undefined)?.calicoVersion ?? '');
    if (!clusterVersion) return;
    const cluster = comparableVersion(clusterVersion);
    if (cluster !== comparableVersion(clientVersion())) {
      throw new SessionError(
        `version mismatch.\nClient Version:   ${clientVersion()}\nCluster Version:  ${cluster}\nUse --allow-version-mismatch to override`,
        'before-input',
        'stderr',
      );
    }
  }
}

/**
 * Waits for the session and for `loadInput`, then reports failures in calicoctl's
 * order: missing config file, version check, input problems, connection problems.
 */
export async function openWithInput<T>(session: DatastoreSession, loadInput: () => Promise<T>): Promise<{ client: ResourceClient; input: T }> {
  const opening = session.settle();
  let input: T | undefined;
  let inputError: unknown;
  try {
    input = await loadInput();
  } catch (err) {
    inputError = err;
  }
  const opened = await opening;
  if ('error' in opened && opened.error.order !== 'after-input') throw opened.error;
  if (inputError !== undefined) throw inputError;
  if ('error' in opened) throw opened.error;
  return { client: opened.client, input: input as T };
}
