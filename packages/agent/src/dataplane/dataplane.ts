/**
 * The agent's nftables dataplane: the one object the main loop talks to. Messages from the
 * calculation graph go to the managers (`onMessage`, no I/O); `apply()` lets the managers render
 * what changed into the driver's desired state and the driver write the difference to the kernel
 * as one transaction. Nothing is written before the graph has reported in-sync (§8).
 *
 *   DataplaneMessage ─▶ onMessage ─▶ IPSetManager ─┐
 *                                  PolicyManager  ─┤ completeDeferredWork
 *                                  EndpointManager─┤ (policy first: endpoints
 *                                  NATManager     ─┤  check which chains exist)
 *                                  TunnelManager  ─┘
 *                                                   ▼
 *                                    NftTable (desired vs kernel) ─▶ nft -f
 * @module
 */
import { NftTable, type TableLog, type TableTimers } from '../drivers/nftables/nft-table.ts';
import { endpointKey, type DataplaneMessage, type EndpointID } from '../messages.ts';
import type { Exec } from '../shims/exec.ts';
import { commonEndpointChains } from './endpoint-chains.ts';
import { EndpointManager, type EndpointProgramState } from './endpoint-manager.ts';
import { IPSetManager } from './ipset-manager.ts';
import { SILENT_LOG, type Manager } from './manager.ts';
import { allocateMarks, type MarkBits } from './marks.ts';
import { NATManager } from './nat-manager.ts';
import { resolveDataplaneOptions, type DataplaneOptions } from './options.ts';
import { PolicyManager } from './policy-manager.ts';
import { familiesOf, staticChains, staticSets } from './static-chains.ts';
import { TunnelManager } from './tunnel-manager.ts';

/** What the dataplane needs from its surroundings. */
export interface DataplaneDeps {
  /** Runs `nft` (wrap with `inNetns` to target a namespace). */
  exec: Exec;
  timers?: TableTimers;
  log?: TableLog;
  /** The nft command (default `['nft']`). */
  nft?: readonly string[];
  /** Watch the ruleset generation with `nft monitor` to skip needless read-backs (default true). */
  monitor?: boolean;
  /** Called when something else changed the table; the main loop should call `apply()` soon. */
  onForeignChange?: () => void;
  /** Driver retry tuning (tests shorten it). */
  maxAttempts?: number;
  retryDelayMs?: number;
}

/** One endpoint whose dataplane state changed since the previous `apply()`. */
export interface EndpointStatusChange {
  id: EndpointID;
  /** `programmed`: chains, dispatch and anti-spoofing entries are in the kernel. */
  status: EndpointProgramState['state'] | 'removed';
  reason?: string;
}

/** What one `apply()` did. */
export interface ApplyResult {
  /** False until the calculation graph has reported in-sync: nothing was written. */
  programmed: boolean;
  /** A transaction was committed, with this many commands. */
  wrote: boolean;
  commands: number;
  /** The table was read back (start-up, drift, failure, refresh). */
  read: boolean;
  /** A due refresh was skipped: the generation monitor saw no foreign change. */
  refreshSkipped: boolean;
  /** Failed attempts' errors and quarantined chains (the apply still succeeded). */
  errors: string[];
  durationMs: number;
  /** Endpoint status changes since the last apply. */
  endpoints: EndpointStatusChange[];
  /** When the next periodic refresh is due (ms); schedule an `apply()` then. */
  refreshDueInMs: number;
}

/** The nftables dataplane facade. */
export class Dataplane {
  readonly options: Readonly<DataplaneOptions>;
  readonly marks: MarkBits;
  readonly #table: NftTable;
  readonly #ipsets: IPSetManager;
  readonly #policies: PolicyManager;
  readonly #endpoints: EndpointManager;
  readonly #nat: NATManager;
  readonly #tunnels: TunnelManager;
  readonly #managers: readonly Manager[];
  readonly #reported = new Map<string, { id: EndpointID; status: string; reason: string | undefined }>();
  readonly #unsettled = new Set<string>();
  #inSync = false;
  #running: Promise<unknown> = Promise.resolve();

  /** @throws {RangeError} when an option is invalid */
  constructor(options: Partial<DataplaneOptions>, deps: DataplaneDeps) {
    this.options = resolveDataplaneOptions(options);
    this.marks = allocateMarks(this.options.markMask);
    const log = deps.log ?? SILENT_LOG;
    this.#table = new NftTable({
      exec: deps.exec,
      name: this.options.tableName,
      refreshIntervalMs: this.options.refreshIntervalMs,
      log,
      ...(deps.nft ? { nft: deps.nft } : {}),
      ...(deps.timers ? { timers: deps.timers } : {}),
      ...(deps.monitor !== undefined ? { monitor: deps.monitor } : {}),
      ...(deps.onForeignChange ? { onForeignChange: deps.onForeignChange } : {}),
      ...(deps.maxAttempts !== undefined ? { maxAttempts: deps.maxAttempts } : {}),
      ...(deps.retryDelayMs !== undefined ? { retryDelayMs: deps.retryDelayMs } : {}),
    });
    for (const s of staticSets(this.options)) this.#table.setSet(s);
    for (const c of staticChains(this.options, this.marks)) this.#table.setChain(c);
    for (const c of commonEndpointChains(this.options, this.marks)) this.#table.setChain(c);
    this.#ipsets = new IPSetManager(this.#table, familiesOf(this.options), log);
    this.#policies = new PolicyManager(this.#table, this.options, this.marks);
    this.#endpoints = new EndpointManager(this.#table, this.options, this.marks, this.#policies, log);
    this.#nat = new NATManager(this.#table, this.options);
    this.#tunnels = new TunnelManager(this.#table, this.options);
    // Order matters: IP sets and policies before endpoints (endpoint chains check which policy
    // chains exist); the sequencer guarantees the same order for the messages themselves.
    this.#managers = [this.#ipsets, this.#policies, this.#endpoints, this.#nat, this.#tunnels];
  }

  /** Records a message from the calculation graph (cheap; no kernel I/O). */
  onMessage(msg: DataplaneMessage): void {
    if (msg.type === 'in-sync') {
      this.#inSync = true;
      return;
    }
    for (const m of this.#managers) m.onUpdate(msg);
  }

  /** True once the calculation graph has reported in-sync. */
  get inSync(): boolean {
    return this.#inSync;
  }

  /**
   * Renders pending changes and writes them as one transaction. Calls are serialised. Before
   * in-sync, only the desired state is prepared (nothing is read or written).
   * @throws {NftApplyError} after persistent nft failures: exit, so the agent restarts clean
   */
  apply(): Promise<ApplyResult> {
    const run = this.#running.then(() => this.#apply());
    this.#running = run.catch(() => undefined);
    return run;
  }

  async #apply(): Promise<ApplyResult> {
    const started = performance.now();
    // Let nft list the table while the managers render (start-up: the two take similar time).
    if (this.#inSync) this.#table.prefetchRead();
    this.#completeDeferredWork();
    if (!this.#inSync) {
      return { programmed: false, wrote: false, commands: 0, read: false, refreshSkipped: false, errors: [], durationMs: performance.now() - started, endpoints: [], refreshDueInMs: Number.POSITIVE_INFINITY };
    }
    const r = await this.#table.apply();
    return {
      programmed: true,
      wrote: r.wrote,
      commands: r.commands,
      read: r.read,
      refreshSkipped: r.refreshSkipped,
      errors: r.errors,
      durationMs: performance.now() - started,
      endpoints: this.#statusChanges(r.read || r.errors.length > 0),
      refreshDueInMs: this.#table.refreshDueInMs(),
    };
  }

  #completeDeferredWork(): void {
    this.#ipsets.completeDeferredWork();
    this.#policies.completeDeferredWork();
    this.#endpoints.onReferencesChanged(this.#policies.changedRefs);
    this.#endpoints.completeDeferredWork();
    this.#nat.completeDeferredWork();
    this.#tunnels.completeDeferredWork();
  }

  /** Queues a full read-back of the table before the next write. */
  resync(): void {
    this.#table.queueResync();
  }

  /** The dataplane state of one endpoint, or undefined when it is unknown. */
  endpointStatus(id: EndpointID): EndpointProgramState | undefined {
    return this.#endpoints.status(id);
  }

  /** The complete desired ruleset in nft block syntax (after rendering pending changes). */
  renderRuleset(): string {
    this.#completeDeferredWork();
    return this.#table.renderDesired();
  }

  /** Stops background processes (the generation monitor). The kernel state stays. */
  close(): void {
    this.#table.close();
  }

  /**
   * Status changes of endpoints touched by this apply and of those not yet programmed; all of
   * them after a read-back or a failure (the kernel may have changed under any endpoint).
   */
  #statusChanges(everything: boolean): EndpointStatusChange[] {
    const candidates = new Set(this.#endpoints.takeTouched());
    for (const key of this.#unsettled) candidates.add(key);
    if (everything) for (const id of this.#endpoints.endpointIds()) candidates.add(endpointKey(id));
    const out: EndpointStatusChange[] = [];
    for (const key of candidates) {
      const id = this.#endpoints.idOf(key);
      const s = id && this.#endpoints.status(id);
      if (!id || !s) {
        this.#unsettled.delete(key);
        const prev = this.#reported.get(key);
        if (prev && this.#reported.delete(key)) out.push({ id: prev.id, status: 'removed' });
        continue;
      }
      const reason = s.state === 'failed' ? s.reason : undefined;
      if (s.state === 'programmed') this.#unsettled.delete(key);
      else this.#unsettled.add(key);
      const prev = this.#reported.get(key);
      if (prev && prev.status === s.state && prev.reason === reason) continue;
      this.#reported.set(key, { id, status: s.state, reason });
      out.push({ id, status: s.state, ...(reason !== undefined ? { reason } : {}) });
    }
    return out;
  }
}
