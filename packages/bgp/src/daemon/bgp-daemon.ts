/**
 * `BgpDaemon`: keeps BIRD's configuration equal to what the datastore asks for (confd's job,
 * spec bgp.md §8):
 *
 *   Syncer(Node, BGPPeer, IPPool, BGPConfiguration, BGPFilter) ─▶ cache ─(in-sync, 150 ms quiet)─▶
 *   render ─▶ same as installed? ─yes─▶ done
 *                  └─no─▶ stage + `bird -p` ─rejected─▶ report, keep the running config, wait for a change
 *                                └─ok─▶ rename over the file ─▶ `birdc configure` (or first start of BIRD)
 *
 * Nothing is rendered before the first in-sync. A failed reload is retried with back-off
 * (250 ms doubling to 5 s); a configuration BIRD refuses is not retried until the datastore
 * changes. New VMs need nothing here: BIRD's kernel protocol learns the agent's tap routes.
 * @module
 */
import { createHash } from 'node:crypto';
import type { Resource } from '@percale/api';
import { Syncer, type ResourceEvent, type Store, type SyncStatus } from '@percale/datastore';
import { BirdCommandError, type BirdProtocol, type Logger } from '@percale/daemon';
import { BirdConfigRejectedError } from '../bird/check-bird-config.ts';
import type { BirdProcessStatus } from '../bird/bird-supervisor.ts';
import type { ConfigInstaller } from './config-installer.ts';
import type { BgpErrorStage, BgpStatus } from './status-file.ts';

/** The kinds the BGP syncer delivers (Calico's bgpsyncer, minus IPAM blocks: none on OpenStack). */
export const BGP_SYNCER_KINDS: readonly string[] = ['Node', 'BGPPeer', 'IPPool', 'BGPConfiguration', 'BGPFilter'];

/** Everything the renderer reads, by kind, sorted by name. */
export interface BgpSnapshot {
  nodeName: string;
  nodes: Resource[];
  peers: Resource[];
  pools: Resource[];
  configurations: Resource[];
  filters: Resource[];
}

/** The BIRD the daemon drives: started by us (`supervisor`) or run by the operator. */
export interface BirdPort {
  /** `birdc configure`; resolves with BIRD's words. */
  configure(): Promise<string>;
  showProtocols(): Promise<BirdProtocol[]>;
  socketPath: string;
  /** Present when Percale runs BIRD itself. */
  supervisor?: { readonly started: boolean; readonly status: BirdProcessStatus; start(options?: { recovery?: boolean }): void };
}

export interface BgpDaemonOptions {
  store: Store;
  nodeName: string;
  /** Renders BIRD's configuration; `warnings` name datastore state that had to be left out. */
  render(snapshot: BgpSnapshot): string | { text: string; warnings: readonly string[] };
  installer: ConfigInstaller;
  bird: BirdPort;
  log: Logger;
  /** Receives every status change (the status file). */
  publish(status: BgpStatus): void;
  /** Quiet period that coalesces bursts of changes (default 150 ms). */
  coalesceMs?: number;
  minRetryMs?: number;
  maxRetryMs?: number;
  /** How often BIRD's protocols are polled for the status (default 5 s; 0 = never). */
  protocolPollMs?: number;
}

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');
const byName = (a: Resource, b: Resource) => ((a.metadata.name ?? '') < (b.metadata.name ?? '') ? -1 : (a.metadata.name ?? '') > (b.metadata.name ?? '') ? 1 : 0);

/** Watches the datastore and keeps BIRD's configuration current. */
export class BgpDaemon {
  readonly #o: BgpDaemonOptions;
  readonly #syncer: Syncer;
  readonly #cache = new Map<string, Map<string, Resource>>(BGP_SYNCER_KINDS.map((k) => [k, new Map()]));
  #inSync = false;
  #timer: NodeJS.Timeout | undefined;
  #pollTimer: NodeJS.Timeout | undefined;
  #running: Promise<void> | undefined;
  #dirty = false;
  #stopped = false;
  /** The text BIRD was last told to run (file on disk after a successful check). */
  #installed: string | undefined;
  /** The installed text differs from what BIRD has loaded (reload pending or failed). */
  #reloadPending = false;
  /** A render BIRD refused: not retried until the datastore changes. */
  #rejected: string | undefined;
  #retryMs: number;
  #status: BgpStatus;
  #idleWaiters: (() => void)[] = [];

  constructor(options: BgpDaemonOptions) {
    this.#o = { coalesceMs: 150, minRetryMs: 250, maxRetryMs: 5_000, protocolPollMs: 5_000, ...options };
    this.#retryMs = this.#o.minRetryMs!;
    this.#syncer = new Syncer(options.store, {
      onUpdates: (events) => this.#onUpdates(events),
      onStatus: (status) => this.#onSyncStatus(status),
      onError: (error, retryInMs) => this.#o.log.warn('Datastore watch failed; resyncing', { error, retryInMs }),
    }, { kinds: BGP_SYNCER_KINDS });
    this.#status = {
      node: options.nodeName, pid: process.pid, updatedAt: new Date().toISOString(), datastore: 'wait-for-datastore', healthy: false,
      config: { path: options.installer.path, sha256: undefined, installedAt: undefined, renders: 0, installs: 0 },
      lastReload: undefined, lastError: undefined, renderWarnings: [], bird: this.#birdStatus(), protocols: [],
    };
  }

  /** The current status (also published on every change). */
  get status(): BgpStatus {
    return this.#status;
  }

  /**
   * Reads the installed file, starts BIRD on it if there is one (routing resumes before the
   * datastore is read), then starts syncing.
   */
  async start(): Promise<void> {
    this.#installed = await this.#o.installer.read();
    if (this.#installed !== undefined) {
      this.#status.config.sha256 = sha256(this.#installed);
      const sup = this.#o.bird.supervisor;
      if (sup && !sup.started) {
        this.#o.log.info('Starting BIRD on the configuration installed before', { path: this.#o.installer.path });
        // An earlier BIRD may have left routes in the kernel: keep them until recovery ends.
        sup.start({ recovery: true });
      }
    }
    this.#publish();
    this.#syncer.start();
    if (this.#o.protocolPollMs! > 0) this.#pollTimer = setInterval(() => void this.#pollProtocols(), this.#o.protocolPollMs!).unref();
  }

  /** Stops watching; BIRD itself is left to the caller. */
  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#timer);
    clearInterval(this.#pollTimer);
    await this.#syncer.stop();
    await this.#running;
  }

  /** Resolves when no render is running or scheduled (tests and benchmarks). */
  idle(): Promise<void> {
    if (!this.#timer && !this.#running) return Promise.resolve();
    return new Promise((resolve) => this.#idleWaiters.push(resolve));
  }

  /** The renderer's view of the cache. */
  snapshot(): BgpSnapshot {
    const list = (kind: string) => [...this.#cache.get(kind)!.values()].sort(byName);
    return {
      nodeName: this.#o.nodeName, nodes: list('Node'), peers: list('BGPPeer'), pools: list('IPPool'),
      configurations: list('BGPConfiguration'), filters: list('BGPFilter'),
    };
  }

  #onUpdates(events: readonly ResourceEvent[]): void {
    for (const e of events) {
      const resource = e.type === 'DELETED' ? e.previous : e.resource;
      const byKind = this.#cache.get(resource.kind);
      if (!byKind) continue;
      const name = resource.metadata.name ?? '';
      if (e.type === 'DELETED') byKind.delete(name);
      else byKind.set(name, e.resource);
    }
    this.#schedule(this.#o.coalesceMs!);
  }

  #onSyncStatus(status: SyncStatus): void {
    this.#status.datastore = status;
    if (status === 'in-sync' && !this.#inSync) {
      this.#inSync = true;
      this.#o.log.info('Datastore in sync; rendering BIRD configuration', { node: this.#o.nodeName });
      this.#schedule(0);
    }
    this.#publish();
  }

  #schedule(delayMs: number): void {
    if (this.#stopped || !this.#inSync) return;
    if (this.#running) {
      this.#dirty = true;
      return;
    }
    if (this.#timer) return;
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.#running = this.#cycle().finally(() => {
        this.#running = undefined;
        if (this.#dirty) {
          this.#dirty = false;
          this.#schedule(this.#o.coalesceMs!);
        }
        if (!this.#timer && !this.#running) for (const w of this.#idleWaiters.splice(0)) w();
      });
    }, delayMs);
  }

  /** One render → check → install → reload pass. */
  async #cycle(): Promise<void> {
    let text: string;
    try {
      const rendered = this.#o.render(this.snapshot());
      text = typeof rendered === 'string' ? rendered : rendered.text;
      this.#status.renderWarnings = typeof rendered === 'string' ? [] : [...rendered.warnings];
      this.#status.config.renders++;
    } catch (err) {
      this.#fail('render', err, 'Rendering the BIRD configuration failed; BIRD keeps its current configuration');
      return;
    }
    // The renderer is deterministic: text BIRD refused is refused again; wait for other text.
    if (text === this.#rejected) return;
    try {
      if (text !== this.#installed) {
        await this.#o.installer.install(text);
        const previous = this.#installed;
        this.#installed = text;
        this.#reloadPending = true;
        this.#status.config = { ...this.#status.config, sha256: sha256(text), installedAt: new Date().toISOString(), installs: this.#status.config.installs + 1 };
        this.#o.log.info('Installed a new BIRD configuration', { path: this.#o.installer.path, sha256: this.#status.config.sha256?.slice(0, 12) });
        await this.#reload(previous);
      } else if (this.#reloadPending || !this.#birdStarted()) {
        await this.#reload(undefined);
      }
      this.#rejected = undefined;
      this.#retryMs = this.#o.minRetryMs!;
      this.#status.lastError = undefined;
      this.#status.healthy = true;
      this.#publish();
    } catch (err) {
      if (err instanceof BirdConfigRejectedError) {
        this.#rejected = text;
        this.#fail('check', err, 'BIRD rejected the new configuration; the last good one keeps running', { birdMessage: err.birdMessage });
        return;
      }
      if (err instanceof BirdCommandError) {
        this.#rejected = text;
        this.#fail('reload', err, 'BIRD refused to load the new configuration; the last good one keeps running');
        return;
      }
      const wait = this.#retryMs;
      this.#retryMs = Math.min(this.#retryMs * 2, this.#o.maxRetryMs!);
      this.#fail(this.#reloadPending ? 'reload' : 'install', err, 'Applying the BIRD configuration failed; retrying', { retryInMs: wait });
      this.#dirty = false;
      clearTimeout(this.#timer);
      this.#timer = setTimeout(() => {
        this.#timer = undefined;
        this.#schedule(0);
      }, wait);
    }
  }

  #birdStarted(): boolean {
    return this.#o.bird.supervisor?.started ?? true;
  }

  /** Starts BIRD on the new file, or asks the running BIRD to re-read it. */
  async #reload(previous: string | undefined): Promise<void> {
    const sup = this.#o.bird.supervisor;
    if (sup && !sup.started) {
      // No configuration was ever installed here, so no earlier BIRD left routes to protect.
      sup.start({ recovery: false });
      this.#reloadPending = false;
      this.#status.lastReload = { at: new Date().toISOString(), result: 'BIRD started' };
      return;
    }
    try {
      const result = await this.#o.bird.configure();
      this.#reloadPending = false;
      this.#status.lastReload = { at: new Date().toISOString(), result };
      this.#o.log.info('BIRD reconfigured', { result });
    } catch (err) {
      if (err instanceof BirdCommandError && previous !== undefined) {
        // BIRD still runs the old configuration; put its file back so a restart loads it too.
        await this.#o.installer.restore(previous);
        this.#installed = previous;
        this.#reloadPending = false;
        this.#status.config.sha256 = sha256(previous);
      }
      throw err;
    }
  }

  #fail(stage: BgpErrorStage, err: unknown, msg: string, fields: Record<string, unknown> = {}): void {
    const message = err instanceof Error ? err.message : String(err);
    this.#status.lastError = { stage, message, at: new Date().toISOString() };
    this.#status.healthy = false;
    this.#o.log.error(msg, { stage, error: message, ...fields });
    this.#publish();
  }

  async #pollProtocols(): Promise<void> {
    if (this.#stopped) return;
    try {
      this.#status.protocols = await this.#o.bird.showProtocols();
    } catch {
      this.#status.protocols = [];
    }
    this.#publish();
  }

  #birdStatus(): BgpStatus['bird'] {
    const sup = this.#o.bird.supervisor;
    return sup ? { managed: true, socket: this.#o.bird.socketPath, ...sup.status } : { managed: false, socket: this.#o.bird.socketPath };
  }

  #publish(): void {
    this.#status.updatedAt = new Date().toISOString();
    this.#status.bird = this.#birdStatus();
    this.#o.publish(structuredClone(this.#status));
  }
}
