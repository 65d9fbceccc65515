/**
 * The Neutron controller's lifecycle for one region: join the leader election; while leader,
 * consume Neutron's notifications (queued while the start-up resync runs, applied after it),
 * run the resync, keep the endpoint index current through a datastore watch, and bridge Felix
 * status to Neutron. Losing leadership stops all of that. A notification outage that may have
 * lost events, or a broken or compacted watch, leads to one clean full resync, retried with a
 * bounded backoff.
 * @module
 */
import type { Resource } from '@percale/api';
import type { Store, Watcher } from '@percale/datastore';
import type { Logger } from '@percale/daemon';
import type { NeutronAgentRpc, NotificationSource } from '../neutron/types.ts';
import { DynamicSync } from '../sync/dynamic-sync.ts';
import { EndpointIndex } from '../sync/endpoint-index.ts';
import { NotificationRouter } from '../sync/notification-router.ts';
import { ProjectCache } from '../sync/port-context.ts';
import { fullScope, type ResyncResult } from '../sync/resync-result.ts';
import { runResync } from '../sync/resync.ts';
import type { SyncEnv } from '../sync/sync-env.ts';

/** The election as the controller uses it (C's LeaderElector fits). */
export interface Elector {
  on(event: 'leader' | 'follower', listener: () => void): unknown;
  start(): void;
  stop(): Promise<void>;
}

/** Felix status → Neutron while leader (C's StatusBridge fits). */
export interface StatusReporter {
  start(): void;
  stop(): Promise<void>;
}

/** Work the leader runs in the background while it leads (etcd compaction). */
export interface PeriodicTask {
  start(): void;
  stop(): Promise<void>;
}

/** Told when notifications resumed after an outage in which events may have been lost. */
export type MissedEventsCallback = () => void;

export interface NeutronControllerOptions {
  env: SyncEnv;
  elector: Elector;
  /** A fresh notification source per leadership term; `onMissed` is called after a reconnect that may have lost events. */
  notifications: (onMissed: MissedEventsCallback) => NotificationSource;
  /** A fresh agent RPC client and status reporter per leadership term; undefined disables status reporting. */
  status?: () => { rpc: NeutronAgentRpc; reporter: StatusReporter };
  /** A fresh etcd compactor per leadership term (spec §9.5: only the leader requests compaction); undefined disables it. */
  compaction?: () => PeriodicTask;
  /** `[calico] startup_resync`. */
  startupResync: 'always' | 'never';
  log: Logger;
  /** Backoff between failed resyncs (default 1 s doubling to 60 s). */
  resyncBackoffMs?: { initial: number; max: number };
  /** How long a new leader waits for its notification consumer before resyncing without it (default 10 s). */
  notificationStartWaitMs?: number;
  /** Told about each resync result (tests, metrics). */
  onResync?: (result: ResyncResult) => void;
}

/** How long a new leader waits for its notification consumer by default. */
const NOTIFICATION_START_WAIT_MS = 10_000;

/** One leadership term's running parts. */
interface Term {
  generation: number;
  sync: DynamicSync;
  router: NotificationRouter;
  source: NotificationSource;
  watcher: Watcher | undefined;
  /** Consecutive endpoint-watch failures, for the restart backoff. */
  watchFailures: number;
  status: { rpc: NeutronAgentRpc; reporter: StatusReporter } | undefined;
  compactor: PeriodicTask | undefined;
}

/** One region's controller. */
export class NeutronController {
  readonly #o: NeutronControllerOptions;
  readonly #index = new EndpointIndex();
  readonly #projects: ProjectCache;
  #generation = 0;
  #term: Term | undefined;
  /** The term being set up or torn down, so that transitions never overlap. */
  #transition: Promise<void> = Promise.resolve();
  #resyncWanted = false;
  #resyncing: Promise<void> | undefined;
  #stopped = false;

  constructor(options: NeutronControllerOptions) {
    this.#o = options;
    this.#projects = new ProjectCache(options.env.neutron);
  }

  /** True while this controller leads its region. */
  get leading(): boolean {
    return this.#term !== undefined;
  }

  /** Port syncs completed from a notification's payload alone in this leadership term (benchmarks, tests). */
  get fastPathSyncs(): number {
    return this.#term?.sync.fastPathSyncs ?? 0;
  }

  /** The endpoint index (tests). */
  get index(): EndpointIndex {
    return this.#index;
  }

  /** Joins the election. */
  start(): void {
    this.#o.elector.on('leader', () => this.#queueTransition(() => this.#lead()));
    this.#o.elector.on('follower', () => this.#queueTransition(() => this.#follow()));
    this.#o.elector.start();
    this.#o.log.info('Neutron controller started; waiting for leadership', { namespace: this.#o.env.namespace });
  }

  /** Steps down (the election key is released at once) and stops everything. */
  async stop(): Promise<void> {
    this.#stopped = true;
    await this.#o.elector.stop();
    this.#queueTransition(() => this.#follow());
    await this.#transition;
    await this.#resyncing;
  }

  /** Waits until queued notifications have been applied (tests). */
  async idle(): Promise<void> {
    await this.#transition;
    await this.#resyncing;
    await this.#term?.router.idle();
  }

  /** Asks for a full resync (coalesced with one already pending). */
  requestResync(reason: string): void {
    if (!this.#term) return;
    this.#o.log.info('Full resync requested', { reason });
    this.#wantResync();
  }

  /** Marks a full resync as wanted and starts the resync loop unless it runs (it then picks the mark up). */
  #wantResync(): void {
    this.#resyncWanted = true;
    this.#resyncing ??= this.#resyncLoop().finally(() => (this.#resyncing = undefined));
  }

  #queueTransition(step: () => Promise<void>): void {
    this.#transition = this.#transition.then(step).catch((err: unknown) => this.#o.log.error('Leadership transition failed', { error: err }));
  }

  async #lead(): Promise<void> {
    if (this.#stopped || this.#term) return;
    const { env, log } = this.#o;
    const generation = ++this.#generation;
    log.info('Became the leader of the region; starting', { namespace: env.namespace });
    const sync = new DynamicSync(env, this.#index, this.#projects, {
      securityGroup: (id, group) => router.noteSecurityGroup(id, group),
    });
    const router: NotificationRouter = new NotificationRouter({ sync, index: this.#index, log });
    // Events that arrive during the start-up resync wait; compare-and-swap makes applying them afterwards safe.
    router.queue.pause();
    let source: NotificationSource;
    try {
      source = this.#o.notifications(() => this.requestResync('notifications resumed after an outage; events may have been missed'));
    } catch (err) {
      log.error('Cannot receive Neutron notifications; only resyncs will update the datastore', { error: err });
      source = { start: () => Promise.resolve(), close: () => Promise.resolve() };
    }
    const term: Term = { generation, sync, router, source, watcher: undefined, watchFailures: 0, status: undefined, compactor: undefined };
    this.#term = term;
    this.#watchEndpoints(term);
    // Consume before the resync reads anything, so no event falls between the two. If the
    // broker cannot be reached in time, resync anyway and once more when consuming starts.
    const consuming = source.start((n) => router.handle(n)).then(
      () => true,
      (err: unknown) => {
        log.error('Cannot consume Neutron notifications', { error: err });
        return false;
      },
    );
    const waitMs = this.#o.notificationStartWaitMs ?? NOTIFICATION_START_WAIT_MS;
    const inTime = await Promise.race([consuming, new Promise<'late'>((r) => setTimeout(() => r('late'), waitMs).unref())]);
    if (inTime === 'late') {
      log.warn('Neutron notifications not flowing yet; resyncing now and again once they do', { waitedMs: waitMs });
      void consuming.then((ok) => ok && this.#term === term && this.requestResync('notifications started after the start-up resync'));
    }
    if (this.#term !== term) return;
    if (this.#o.startupResync === 'always') {
      this.#wantResync();
    } else {
      router.queue.resume();
    }
    if (this.#o.status) {
      term.status = this.#o.status();
      term.status.reporter.start();
    }
    if (this.#o.compaction) {
      term.compactor = this.#o.compaction();
      term.compactor.start();
    }
  }

  async #follow(): Promise<void> {
    const term = this.#term;
    if (!term) return;
    this.#term = undefined;
    this.#o.log.info('No longer the leader of the region; stopping', { namespace: this.#o.env.namespace });
    await Promise.allSettled([
      term.source.close(),
      term.router.close(),
      term.watcher?.stop(),
      term.status && term.status.reporter.stop().then(() => term.status!.rpc.close()),
      term.compactor?.stop(),
    ]);
  }

  /** Keeps the endpoint index current; a broken watch (compaction, outage) restarts it and resyncs. */
  #watchEndpoints(term: Term): void {
    const { env, log } = this.#o;
    const store: Store = env.store;
    const query = { kind: 'WorkloadEndpoint', namespace: env.namespace };
    const snapshot: Resource[] = [];
    let synced = false;
    term.watcher = store.watch(query, {
      onEvent: (e) => {
        if (e.type === 'ADDED' && !synced) snapshot.push(e.resource);
        else if (e.type === 'ADDED' || e.type === 'MODIFIED') this.#index.put(e.resource);
        else if (e.type === 'DELETED') this.#index.remove(e.key.name);
      },
      onSynced: () => {
        synced = true;
        term.watchFailures = 0;
        this.#index.reset(snapshot);
        snapshot.length = 0;
      },
      onClosed: (error) => {
        if (this.#term !== term || error === undefined) return;
        // Back off while it keeps failing (1 s doubling to 60 s), so a broken datastore never
        // turns into a loop of resyncs.
        const delayMs = Math.min(1000 * 2 ** term.watchFailures++, 60_000);
        log.warn('Endpoint watch ended; restarting it and resyncing', { error, inMs: delayMs });
        setTimeout(() => {
          if (this.#term !== term) return;
          this.#watchEndpoints(term);
          this.requestResync('the datastore watch broke');
        }, delayMs).unref();
      },
    });
  }

  async #resyncLoop(): Promise<void> {
    const backoff = this.#o.resyncBackoffMs ?? { initial: 1000, max: 60_000 };
    let delay = backoff.initial;
    // Requests made in the same turn (several outages reported at once) share one resync.
    await new Promise((r) => setImmediate(r));
    while (this.#resyncWanted) {
      const term = this.#term;
      if (!term) return;
      this.#resyncWanted = false;
      term.router.queue.pause();
      let result: ResyncResult;
      // Marked before the resync reads floating IPs, so an event during the read wins over it.
      const fipSeq = term.sync.floatingIps.mark();
      try {
        result = await runResync(this.#o.env, fullScope(), {
          projects: this.#projects,
          observer: {
            securityGroups: (groups, full) => term.router.learnSecurityGroups(groups, full),
            floatingIps: (fips) => {
              term.router.learnFloatingIps(fips);
              term.sync.floatingIps.load(fipSeq, fips);
            },
            ports: (ports) => term.sync.notePorts(ports),
          },
        });
      } finally {
        // What the dynamic syncs cached may predate what the resync just wrote.
        term.sync.clearCache();
        term.router.queue.resume();
      }
      this.#o.onResync?.(result);
      if (result.ok || this.#term !== term) {
        delay = backoff.initial;
        continue;
      }
      this.#o.log.warn('Resync failed; retrying', { inMs: delay, error: result.error });
      this.#resyncWanted = true;
      await new Promise((r) => setTimeout(r, delay).unref());
      delay = Math.min(delay * 2, backoff.max);
    }
  }
}
