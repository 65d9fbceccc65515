/**
 * The nftables driver (Felix's `nftables.Table`): holds the desired chains, sets, maps and
 * elements of the agent's one table, tracks them against what the kernel holds, and `apply()`
 * writes only the difference as one atomic `nft -f` transaction. Chains are compared by their
 * rule-hash lists (§5.9), elements as canonical text. Read-backs happen at start-up, after a
 * failure, on a foreign change seen by the generation monitor, and on the refresh timer.
 *
 *   managers ──setChain/addElements──▶ NftTable ──apply()──▶ diff ──▶ nft -f (one transaction)
 *                                   ▲                              │
 *                                   └──── nft -j list table ◀──────┘ (start-up, drift, failure)
 * @module
 */
import type { Exec } from '../../shims/exec.ts';
import { DeltaTracker } from './delta-tracker.ts';
import { NftApplyError } from './errors.ts';
import { GenerationMonitor } from './generation-monitor.ts';
import { parseTableListing, type ListedTable } from './listing.ts';
import { sameBaseSpec, sameSetSpec, type BaseChainSpec, type NftChain, type NftRule, type NftSetSpec } from './model.ts';
import { ruleComment, ruleHashes, sanitizeComment } from './rule-hash.ts';
import { Transaction, type AttributedError, type Owner } from './transaction.ts';

/** A leveled, structured logger (the agent's composition root supplies one). */
export interface TableLog {
  debug(msg: string, fields?: Record<string, unknown>): void;
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
}

/** Clock and one-shot timers (structurally the agent's `Timers` shim). */
export interface TableTimers {
  now(): number;
  after(ms: number, fn: () => void): () => void;
}

const SILENT: TableLog = { debug() {}, info() {}, warn() {}, error() {} };
const REAL_TIMERS: TableTimers = {
  now: () => performance.now(),
  after(ms, fn) {
    const t = setTimeout(fn, ms);
    return () => clearTimeout(t);
  },
};

/** Options of an `NftTable`. */
export interface NftTableOptions {
  exec: Exec;
  /** Table name; the family is always `inet`. */
  name: string;
  /** The nft command (default `['nft']`). */
  nft?: readonly string[];
  timers?: TableTimers;
  log?: TableLog;
  /** Period of the full read-back in ms; 0 disables it (default 180 000). */
  refreshIntervalMs?: number;
  /**
   * With a healthy generation monitor and no foreign change, refreshes skip the read; every
   * `forcedReadEvery`-th refresh reads anyway (default 10), in case the monitor missed events.
   */
  forcedReadEvery?: number;
  /** Watch the ruleset generation with `nft monitor` (default true). */
  monitor?: boolean;
  /** Transactions with more commands than this run with the monitor paused (default 1000). */
  monitorPauseCommands?: number;
  /** Called when the monitor sees a foreign change to the table: the owner should apply soon. */
  onForeignChange?: () => void;
  /** Attempts per `apply()` before giving up with `NftApplyError` (default 8). */
  maxAttempts?: number;
  /** First back-off delay in ms, doubled after each failure (default 20). */
  retryDelayMs?: number;
  /** From this attempt on, each attempt recreates the whole table in one transaction (default 5). */
  fullRewriteFromAttempt?: number;
  /** Timeout of one nft invocation in ms (default 120 000). */
  commandTimeoutMs?: number;
}

/** What one `apply()` did. */
export interface TableApplyResult {
  /** A transaction was committed. */
  wrote: boolean;
  /** Commands in the committed transaction. */
  commands: number;
  /** The table was read back. */
  read: boolean;
  /** A due refresh was skipped because the generation monitor saw no foreign change. */
  refreshSkipped: boolean;
  /** Attempts made (1 when the first one succeeded). */
  attempts: number;
  /** Errors of failed attempts and newly quarantined chains, for logs and status. */
  errors: string[];
}

interface ChainState {
  readonly base: BaseChainSpec | undefined;
  readonly hashes: readonly string[];
}

function sameChainState(a: ChainState, b: ChainState): boolean {
  return sameBaseSpec(a.base, b.base) && a.hashes.length === b.hashes.length && a.hashes.every((h, i) => h === b.hashes[i]);
}

const ELEMENTS_PER_COMMAND = 2000;
/** A set or map reference in a rule body. */
const SET_REF = /@([A-Za-z0-9_./-]+)/g;

function baseText(b: BaseChainSpec): string {
  return `type ${b.type} hook ${b.hook} priority ${b.priority}; policy ${b.policy};`;
}

/** Desired state of one nftables table and the machinery to reconcile it into the kernel. */
export class NftTable {
  readonly name: string;
  readonly #ref: string;
  readonly #exec: Exec;
  readonly #nft: readonly string[];
  readonly #timers: TableTimers;
  readonly #log: TableLog;
  readonly #refreshIntervalMs: number;
  readonly #forcedReadEvery: number;
  readonly #maxAttempts: number;
  readonly #retryDelayMs: number;
  readonly #fullRewriteFromAttempt: number;
  readonly #timeoutMs: number;
  readonly #monitor: GenerationMonitor | undefined;
  readonly #monitorPauseCommands: number;
  readonly #onForeignChange: (() => void) | undefined;

  readonly #chainDefs = new Map<string, NftChain>();
  /** Set name → desired chains whose rules refer to it (`@name`), for re-declaring a set. */
  readonly #setUsers = new Map<string, Set<string>>();
  readonly #chains = new DeltaTracker<string, ChainState>(sameChainState);
  readonly #sets = new DeltaTracker<string, NftSetSpec>(sameSetSpec);
  readonly #elements = new Map<string, DeltaTracker<string, string>>();
  readonly #dirtySets = new Set<string>();
  /**
   * Chains nft rejected, programmed as a single drop rule until their content changes or a new
   * chain or set appears (it may be what they were missing).
   */
  readonly #quarantined = new Map<string, string>();
  #quarantineVersion = 0;
  #structureVersion = 0;
  /** Bumped by every change to the desired state: a commit may take the fast path only if none happened meanwhile. */
  #version = 0;
  #tableExists = false;
  #needsRead = true;
  /** A read-back started early (`prefetchRead`), consumed by the next `#read`. */
  #prefetched: Promise<{ exitCode: number; stdout: string; stderr: string }> | undefined;
  #lastReadAt = Number.NEGATIVE_INFINITY;
  #skippedRefreshes = 0;

  constructor(options: NftTableOptions) {
    this.name = options.name;
    this.#ref = `inet ${options.name}`;
    this.#exec = options.exec;
    this.#nft = options.nft ?? ['nft'];
    this.#timers = options.timers ?? REAL_TIMERS;
    this.#log = options.log ?? SILENT;
    this.#refreshIntervalMs = options.refreshIntervalMs ?? 180_000;
    this.#forcedReadEvery = options.forcedReadEvery ?? 10;
    this.#maxAttempts = options.maxAttempts ?? 8;
    this.#retryDelayMs = options.retryDelayMs ?? 20;
    this.#fullRewriteFromAttempt = options.fullRewriteFromAttempt ?? 5;
    this.#timeoutMs = options.commandTimeoutMs ?? 120_000;
    this.#onForeignChange = options.onForeignChange;
    this.#monitorPauseCommands = options.monitorPauseCommands ?? 1000;
    if (options.monitor ?? true) {
      this.#monitor = new GenerationMonitor(this.#exec, this.#nft, 'inet', options.name, () => {
        this.#log.warn('Foreign change to the nftables table; reading it back', { table: this.name });
        this.#needsRead = true;
        this.#onForeignChange?.();
      });
    }
  }

  // ---- desired state -------------------------------------------------------------------

  /** Sets the complete desired content of a chain (creating it if needed). */
  setChain(chain: NftChain): void {
    const state: ChainState = { base: chain.base, hashes: ruleHashes(chain.rules) };
    const prev = this.#chains.getDesired(chain.name);
    if (prev && sameChainState(prev, state) && this.#chainDefs.get(chain.name)?.comment === chain.comment) return;
    this.#quarantined.delete(chain.name);
    this.#version++;
    if (!this.#chainDefs.has(chain.name)) this.#structureVersion++;
    this.#indexSetUsers(chain.name, this.#chainDefs.get(chain.name), chain);
    this.#chainDefs.set(chain.name, chain);
    this.#chains.setDesired(chain.name, state);
  }

  /** Removes a chain from the desired state. */
  deleteChain(name: string): void {
    this.#version++;
    this.#indexSetUsers(name, this.#chainDefs.get(name), undefined);
    this.#chainDefs.delete(name);
    this.#quarantined.delete(name);
    this.#chains.deleteDesired(name);
  }

  #indexSetUsers(chain: string, before: NftChain | undefined, after: NftChain | undefined): void {
    const refs = (c: NftChain | undefined) => {
      const out = new Set<string>();
      for (const r of c?.rules ?? []) if (r.body.includes('@')) for (const m of r.body.matchAll(SET_REF)) out.add(m[1]!);
      return out;
    };
    const old = refs(before);
    const now = refs(after);
    for (const s of old) {
      if (now.has(s)) continue;
      const users = this.#setUsers.get(s);
      if (users?.delete(chain) && users.size === 0) this.#setUsers.delete(s);
    }
    for (const s of now) {
      let users = this.#setUsers.get(s);
      if (!users) this.#setUsers.set(s, (users = new Set()));
      users.add(chain);
    }
  }

  /** The desired definition of a chain, if any. */
  getChain(name: string): NftChain | undefined {
    return this.#chainDefs.get(name);
  }

  /** Declares a set or map (its elements are managed separately). */
  setSet(spec: NftSetSpec): void {
    this.#version++;
    if (!this.#sets.hasDesired(spec.name)) this.#structureVersion++;
    this.#sets.setDesired(spec.name, spec);
    this.#tracker(spec.name);
  }

  /** Removes a set or map and all its desired elements. */
  deleteSet(name: string): void {
    this.#version++;
    this.#sets.deleteDesired(name);
    const t = this.#elements.get(name);
    if (t) {
      for (const [k] of [...t.desiredEntries()]) t.deleteDesired(k);
      this.#markElements(name, t);
    }
  }

  /** Adds elements to a set (value '' ) or map (value = map value text). */
  addElements(set: string, elements: Iterable<string>, value = ''): void {
    const t = this.#tracker(set);
    for (const e of elements) t.setDesired(e, value);
    this.#markElements(set, t);
  }

  /** Adds or replaces one map element. */
  setMapElement(map: string, key: string, value: string): void {
    const t = this.#tracker(map);
    t.setDesired(key, value);
    this.#markElements(map, t);
  }

  /** Removes elements (set keys or map keys). */
  removeElements(set: string, keys: Iterable<string>): void {
    const t = this.#elements.get(set);
    if (!t) return;
    for (const k of keys) t.deleteDesired(k);
    this.#markElements(set, t);
  }

  /**
   * Makes `elements` the whole desired content of set `set`, for owners that recompute a set
   * from scratch: only the difference against the desired elements is queued.
   */
  replaceElements(set: string, elements: ReadonlySet<string>): void {
    const t = this.#tracker(set);
    const stale = [...t.desiredEntries()].filter(([k]) => !elements.has(k));
    for (const [k] of stale) t.deleteDesired(k);
    for (const e of elements) if (!t.hasDesired(e)) t.setDesired(e, '');
    this.#markElements(set, t);
  }

  /** Desired elements of a set or map (key → value). */
  desiredElements(set: string): ReadonlyMap<string, string> {
    return new Map(this.#elements.get(set)?.desiredEntries() ?? []);
  }

  #tracker(set: string): DeltaTracker<string, string> {
    let t = this.#elements.get(set);
    if (!t) {
      t = new DeltaTracker<string, string>();
      this.#elements.set(set, t);
    }
    return t;
  }

  #markElements(set: string, t: DeltaTracker<string, string>): void {
    this.#version++;
    if (t.inSync) this.#dirtySets.delete(set);
    else this.#dirtySets.add(set);
  }

  // ---- status ----------------------------------------------------------------------------

  /** True when the chain's desired content is in the kernel and not quarantined. */
  isChainProgrammed(name: string): boolean {
    return this.#chains.isProgrammed(name) && !this.#quarantined.has(name);
  }

  /** True when the element (with its desired value) is in the kernel. */
  isElementProgrammed(set: string, key: string): boolean {
    return this.#elements.get(set)?.isProgrammed(key) ?? false;
  }

  /** Chains nft rejected, with the error; each is programmed as a single drop rule. */
  get quarantinedChains(): ReadonlyMap<string, string> {
    return this.#quarantined;
  }

  /** True when nothing is waiting to be written. */
  get inSync(): boolean {
    return this.#chains.inSync && this.#sets.inSync && this.#dirtySets.size === 0 && this.#tableExists;
  }

  /** Milliseconds until the next periodic refresh is due (Infinity when disabled). */
  refreshDueInMs(): number {
    if (this.#refreshIntervalMs <= 0) return Number.POSITIVE_INFINITY;
    return Math.max(0, this.#lastReadAt + this.#refreshIntervalMs - this.#timers.now());
  }

  /** Queues a full read-back before the next write. */
  queueResync(): void {
    this.#needsRead = true;
  }

  /**
   * Starts the read-back the next `apply()` will need (start-up, after a failure or a foreign
   * change), so `nft` lists the table while the caller renders its changes.
   */
  prefetchRead(): void {
    if (!this.#needsRead || this.#prefetched) return;
    this.#monitor?.beginRead();
    this.#prefetched = this.#exec.run(this.#listArgv(), { timeoutMs: this.#timeoutMs });
    // A failure surfaces when #read() awaits it; until then it must not be unhandled.
    this.#prefetched.catch(() => {});
  }

  #listArgv(): string[] {
    return [...this.#nft, '-j', 'list', 'table', 'inet', this.name];
  }

  /** Stops the generation monitor. */
  close(): void {
    this.#monitor?.stop();
  }

  /**
   * The whole desired table in nft's block syntax (what `nft list table` would show, minus
   * counters): for operators, golden tests and the benchmark's raw-load baseline.
   */
  renderDesired(): string {
    const out: string[] = [`table ${this.#ref} {`];
    for (const [name, spec] of [...this.#sets.desiredEntries()].sort((a, b) => a[0].localeCompare(b[0]))) {
      out.push(`\t${this.#setKind(spec)} ${name} {`);
      out.push(`\t\ttype ${spec.type.join(' . ')}${spec.map !== undefined ? ` : ${spec.map}` : ''}`);
      if (spec.interval) out.push('\t\tflags interval');
      const entries = [...(this.#elements.get(name)?.desiredEntries() ?? [])];
      if (entries.length > 0) out.push(`\t\telements = { ${entries.map(([k, v]) => (spec.map !== undefined ? `${k} : ${v}` : k)).join(', ')} }`);
      out.push('\t}');
    }
    const block = new Transaction();
    for (const [name, state] of [...this.#chains.desiredEntries()].sort((a, b) => a[0].localeCompare(b[0]))) {
      this.#chainBlock(block, this.#chainDefs.get(name)!, state.hashes, true);
    }
    for (const line of block.lines) out.push(line);
    out.push('}');
    return `${out.join('\n')}\n`;
  }

  // ---- apply -----------------------------------------------------------------------------

  /**
   * Writes the difference between desired and kernel state as one transaction, reading the
   * table back first when due. Retries with back-off; the last attempts recreate the table.
   * @throws {NftApplyError} when every attempt failed; the caller should exit (fail closed)
   */
  async apply(): Promise<TableApplyResult> {
    const result: TableApplyResult = { wrote: false, commands: 0, read: false, refreshSkipped: false, attempts: 0, errors: [] };
    this.#checkRefresh(result);
    if (this.#quarantined.size > 0 && this.#structureVersion !== this.#quarantineVersion) this.#liftQuarantines();
    let delay = this.#retryDelayMs;
    let lastError = '';
    for (let attempt = 1; attempt <= this.#maxAttempts; attempt++) {
      result.attempts = attempt;
      let freshView = false;
      try {
        if (this.#needsRead) {
          await this.#read();
          result.read = true;
          freshView = true;
        }
        const full = attempt >= this.#fullRewriteFromAttempt;
        const { tx, commit } = full ? this.#buildFull() : this.#buildIncremental();
        const version = this.#version;
        if (tx.size === 0) {
          this.#monitor?.start();
          return result;
        }
        // The monitor would print every rule of a bulk load (and nft 1.0.6's can crash doing so).
        if (tx.size > this.#monitorPauseCommands) this.#monitor?.stop();
        const run = await this.#exec.run([...this.#nft, '-f', '-'], {
          input: tx.text(),
          timeoutMs: this.#timeoutMs,
          onSpawn: (pid) => this.#monitor?.ownProcess(pid),
        });
        if (run.exitCode === 0) {
          if (!full && version === this.#version) this.#commitAllPending();
          else commit();
          result.wrote = true;
          result.commands = tx.size;
          this.#monitor?.start();
          return result;
        }
        const errors = tx.attribute(run.stderr);
        lastError = errors.length > 0 ? errors.map((e) => `${e.message}: ${e.command.slice(0, 200)}`).join('; ') : run.stderr.trim() || `exit status ${run.exitCode}`;
        result.errors.push(lastError);
        this.#log.warn('nft rejected a transaction', { table: this.name, attempt, commands: tx.size, error: lastError });
        // A rule rejected against a freshly read kernel is the chain's own fault; otherwise the
        // view may be stale (a target deleted behind our back): re-read and retry first.
        if (freshView && this.#quarantine(errors, result)) continue;
      } catch (err) {
        lastError = err instanceof Error ? err.message : String(err);
        result.errors.push(lastError);
        this.#log.warn('nftables apply attempt failed', { table: this.name, attempt, error: lastError });
      }
      // The kernel may differ from our view (e.g. an element we meant to delete is gone): re-read.
      this.#needsRead = true;
      if (attempt < this.#maxAttempts) {
        await new Promise<void>((resolve) => this.#timers.after(delay, resolve));
        delay *= 2;
      }
    }
    throw new NftApplyError(this.name, this.#maxAttempts, lastError);
  }

  #checkRefresh(result: TableApplyResult): void {
    if (this.#needsRead || this.#refreshIntervalMs <= 0) return;
    if (this.#timers.now() - this.#lastReadAt < this.#refreshIntervalMs) return;
    const monitor = this.#monitor;
    if (monitor && !monitor.foreignChangeSeen && this.#skippedRefreshes + 1 < this.#forcedReadEvery) {
      this.#skippedRefreshes++;
      this.#lastReadAt = this.#timers.now();
      result.refreshSkipped = true;
      return;
    }
    this.#needsRead = true;
  }

  /** Chains nft rejected become a single drop rule (fail closed) so the rest can be written. */
  #quarantine(errors: readonly AttributedError[], result: TableApplyResult): boolean {
    let any = false;
    for (const e of errors) {
      if (!e.owner?.startsWith('rule:')) continue;
      const name = e.owner.slice('rule:'.length);
      const def = this.#chainDefs.get(name);
      if (!def || def.base || this.#quarantined.has(name)) continue;
      this.#quarantined.set(name, e.message);
      this.#quarantineVersion = this.#structureVersion;
      // Change the desired hashes so the drop body is what gets compared and written.
      this.#chains.setDesired(name, { base: undefined, hashes: ruleHashes(this.#effectiveRules(def)) });
      result.errors.push(`chain ${name} quarantined (programmed as drop): ${e.message}`);
      this.#log.error('nft rejected a chain; programming it as drop until its content changes', { table: this.name, chain: name, error: e.message });
      any = true;
    }
    return any;
  }

  #liftQuarantines(): void {
    for (const name of [...this.#quarantined.keys()]) {
      this.#quarantined.delete(name);
      const def = this.#chainDefs.get(name)!;
      this.#chains.setDesired(name, { base: def.base, hashes: ruleHashes(def.rules) });
    }
  }

  #effectiveRules(def: NftChain): readonly NftRule[] {
    const why = this.#quarantined.get(def.name);
    return why === undefined ? def.rules : [{ body: 'counter drop', comment: `Percale could not program this chain: ${why}` }];
  }

  async #read(): Promise<void> {
    let pending = this.#prefetched;
    this.#prefetched = undefined;
    if (!pending) {
      this.#monitor?.beginRead();
      pending = this.#exec.run(this.#listArgv(), { timeoutMs: this.#timeoutMs });
    }
    const run = await pending;
    let listed: ListedTable;
    if (run.exitCode !== 0) {
      if (!/No such file or directory/.test(run.stderr)) {
        throw new Error(`Cannot list nftables table "inet ${this.name}": ${run.stderr.trim() || `exit status ${run.exitCode}`}`);
      }
      this.#tableExists = false;
      listed = { chains: new Map(), sets: new Map(), foreignObjects: [] };
    } else {
      this.#tableExists = true;
      listed = parseTableListing(run.stdout, 'inet', this.name);
    }
    if (listed.foreignObjects.length > 0) {
      this.#log.warn('Objects in the agent table that it does not manage', { table: this.name, objects: listed.foreignObjects });
    }
    this.#chains.replaceDataplane([...listed.chains].map(([n, c]) => [n, { base: c.base, hashes: c.hashes }] as const));
    this.#sets.replaceDataplane([...listed.sets].map(([n, s]) => [n, s.spec] as const));
    for (const [name, t] of this.#elements) {
      if (!listed.sets.has(name)) t.replaceDataplane([]);
    }
    for (const [name, s] of listed.sets) this.#tracker(name).replaceDataplane(s.elements);
    this.#dirtySets.clear();
    for (const [name, t] of this.#elements) {
      if (!t.inSync) this.#dirtySets.add(name);
      else if (t.desiredSize === 0 && !this.#sets.hasDesired(name) && !listed.sets.has(name)) this.#elements.delete(name);
    }
    this.#needsRead = false;
    this.#lastReadAt = this.#timers.now();
    this.#skippedRefreshes = 0;
    this.#monitor?.reset();
    const dirtyChains = this.#chains.pendingUpdates.size + this.#chains.pendingDeletions.size;
    this.#log.debug('Read nftables table back', { table: this.name, chains: listed.chains.size, sets: listed.sets.size, dirtyChains, dirtySets: this.#dirtySets.size });
  }

  #setKind(spec: NftSetSpec): 'set' | 'map' {
    return spec.map === undefined ? 'set' : 'map';
  }

  /** `set x { type …; flags interval; }` (as a block line, or after `add`). */
  #setDeclaration(spec: NftSetSpec): string {
    const type = spec.type.join(' . ') + (spec.map !== undefined ? ` : ${spec.map}` : '');
    const flags = spec.interval ? ' flags interval;' : '';
    const comment = spec.comment ? ` comment "${sanitizeComment(spec.comment)}";` : '';
    return `${this.#setKind(spec)} ${spec.name} { type ${type};${flags}${comment} }`;
  }

  /** Block lines of one chain: its declaration (hook, comment) when `declare`, then its rules. */
  #chainBlock(block: Transaction, def: NftChain, hashes: readonly string[], declare: boolean): void {
    const owner: Owner = `chain:${def.name}`;
    block.add(`\tchain ${def.name} {`, owner);
    if (declare && def.base) block.add(`\t\t${baseText(def.base)}`, owner);
    if (declare && def.comment) block.add(`\t\tcomment "${sanitizeComment(def.comment).slice(0, 128)}"`, owner);
    const rules = this.#effectiveRules(def);
    const ruleOwner: Owner = `rule:${def.name}`;
    for (let i = 0; i < rules.length; i++) {
      const rule = rules[i]!;
      block.add(`\t\t${rule.body} comment "${ruleComment(hashes[i]!, rule.comment)}"`, ruleOwner);
    }
    block.add('\t}', owner);
  }

  #elementCommands(tx: Transaction, verb: 'add' | 'delete', set: string, entries: readonly (readonly [string, string])[], isMap: boolean): void {
    for (let i = 0; i < entries.length; i += ELEMENTS_PER_COMMAND) {
      const chunk = entries.slice(i, i + ELEMENTS_PER_COMMAND);
      const text = chunk.map(([k, v]) => (isMap && verb === 'add' ? `${k} : ${v}` : k)).join(', ');
      tx.add(`${verb} element ${this.#ref} ${set} { ${text} }`, `set:${set}`);
    }
  }

  /**
   * One transaction for the difference. Commands run in order, so the order is the point:
   *   1. element deletions (a verdict-map element may point at a chain deleted in 6)
   *   2. flush chains to rewrite or delete; delete base chains whose hook changed, sets whose
   *      declaration changed (their users were just flushed)
   *   3. one `table { … }` block: new and re-declared sets, new chains, the rules of every
   *      rewritten chain (block syntax loads faster than one `add rule` command per rule)
   *   4. element additions (maps may point at chains created in 3)
   *   5. delete sets nobody wants, then the chains flushed in 2
   */
  #buildIncremental(): { tx: Transaction; commit: () => void } {
    const tx = new Transaction();
    const commits: (() => void)[] = [];
    const ref = this.#ref;
    // Sets whose kernel declaration differs are deleted and re-created with every chain using them.
    const redeclared = [...this.#sets.pendingUpdates].filter((n) => this.#sets.hasDataplane(n));
    const rewrite = new Set<string>();
    for (const name of this.#chains.pendingUpdates) if (this.#chains.hasDataplane(name)) rewrite.add(name);
    for (const set of redeclared) for (const chain of this.#setUsers.get(set) ?? []) if (this.#chains.hasDataplane(chain)) rewrite.add(chain);
    const doomedChains = [...this.#chains.pendingDeletions];
    const doomedSets = [...this.#sets.pendingDeletions];

    // 1. Element deletions.
    const additions: [string, [string, string][], boolean][] = [];
    for (const set of this.#dirtySets) {
      const t = this.#elements.get(set)!;
      const spec = this.#sets.getDesired(set);
      if (!spec || redeclared.includes(set)) continue; // deleted or re-created whole below
      const inKernel = this.#sets.hasDataplane(set);
      const deletions: [string, string][] = [];
      for (const k of t.pendingDeletions) deletions.push([k, '']);
      const adds: [string, string][] = [];
      for (const k of t.pendingUpdates) {
        // A map element with another value must be deleted before it can be re-added.
        if (inKernel && t.hasDataplane(k)) deletions.push([k, '']);
        adds.push([k, t.getDesired(k)!]);
      }
      if (inKernel && deletions.length > 0) this.#elementCommands(tx, 'delete', set, deletions, spec.map !== undefined);
      if (adds.length > 0) additions.push([set, adds, spec.map !== undefined]);
      commits.push(() => {
        for (const [k] of deletions) t.deleteDataplane(k);
        for (const [k, v] of adds) t.setDataplane(k, v);
      });
    }

    // 2. Flushes and the deletions that must precede re-declaration.
    for (const name of rewrite) {
      const have = this.#chains.getDataplane(name)!;
      const def = this.#chainDefs.get(name)!;
      if (!sameBaseSpec(have.base, def.base)) tx.add(`delete chain ${ref} ${name}`, `chain:${name}`);
      else tx.add(`flush chain ${ref} ${name}`, `chain:${name}`);
    }
    for (const name of doomedChains) tx.add(`flush chain ${ref} ${name}`, `chain:${name}`);
    for (const name of redeclared) tx.add(`delete ${this.#setKind(this.#sets.getDataplane(name)!)} ${ref} ${name}`, `set:${name}`);

    // 3. The block.
    const block = new Transaction();
    for (const name of this.#sets.pendingUpdates) {
      const spec = this.#sets.getDesired(name)!;
      block.add(`\t${this.#setDeclaration(spec)}`, `set:${name}`);
      commits.push(() => this.#sets.setDataplane(name, spec));
    }
    for (const name of redeclared) {
      const t = this.#tracker(name);
      const entries = [...t.desiredEntries()];
      const spec = this.#sets.getDesired(name)!;
      if (entries.length > 0) additions.push([name, entries, spec.map !== undefined]);
      commits.push(() => t.replaceDataplane(entries));
    }
    for (const name of this.#chains.pendingUpdates) rewrite.add(name);
    for (const name of rewrite) {
      const def = this.#chainDefs.get(name)!;
      const want = this.#chains.getDesired(name)!;
      const have = this.#chains.getDataplane(name);
      this.#chainBlock(block, def, want.hashes, !have || !sameBaseSpec(have.base, def.base));
      commits.push(() => this.#chains.setDataplane(name, want));
    }
    if (block.size > 0 || !this.#tableExists) {
      tx.add(`table ${ref} {`, 'table');
      tx.append(block);
      tx.add('}', 'table');
      commits.push(() => { this.#tableExists = true; });
    }

    // 4. Element additions.
    for (const [set, adds, isMap] of additions) this.#elementCommands(tx, 'add', set, adds, isMap);

    // 5. Deletions.
    for (const name of doomedSets) {
      const spec = this.#sets.getDataplane(name)!;
      tx.add(`delete ${this.#setKind(spec)} ${ref} ${name}`, `set:${name}`);
      commits.push(() => {
        this.#sets.deleteDataplane(name);
        const t = this.#elements.get(name);
        if (t) t.replaceDataplane([]);
        if (t && t.desiredSize === 0) this.#elements.delete(name);
        this.#dirtySets.delete(name);
      });
    }
    for (const name of doomedChains) {
      tx.add(`delete chain ${ref} ${name}`, `chain:${name}`);
      commits.push(() => this.#chains.deleteDataplane(name));
    }
    return {
      tx,
      commit: () => {
        for (const c of commits) c();
        for (const [set, t] of this.#elements) this.#markElements(set, t);
      },
    };
  }

  /**
   * After an incremental transaction, with no desired-state change while nft ran: everything
   * pending was written, so the kernel now holds the desired state (the commit closures reach the
   * same result key by key; this is the bulk path).
   */
  #commitAllPending(): void {
    this.#tableExists = true;
    const doomedSets = [...this.#sets.pendingDeletions];
    this.#chains.commitPending();
    this.#sets.commitPending();
    for (const set of this.#dirtySets) if (this.#sets.hasDesired(set)) this.#elements.get(set)!.commitPending();
    for (const name of doomedSets) {
      const t = this.#elements.get(name);
      if (!t) continue;
      t.replaceDataplane([]);
      if (t.desiredSize === 0) this.#elements.delete(name);
    }
    for (const [set, t] of this.#elements) if (t.inSync) this.#dirtySets.delete(set);
  }

  /** Deletes and recreates the whole table in one transaction (last resort; atomic). */
  #buildFull(): { tx: Transaction; commit: () => void } {
    const tx = new Transaction();
    // nft 1.0.6 has no `destroy`: adding first makes the delete safe when the table is absent.
    tx.add(`add table ${this.#ref}`, 'table');
    tx.add(`delete table ${this.#ref}`, 'table');
    const sets = [...this.#sets.desiredEntries()];
    const chains = [...this.#chains.desiredEntries()];
    const block = new Transaction();
    for (const [name, spec] of sets) block.add(`\t${this.#setDeclaration(spec)}`, `set:${name}`);
    for (const [name, state] of chains) this.#chainBlock(block, this.#chainDefs.get(name)!, state.hashes, true);
    tx.add(`table ${this.#ref} {`, 'table');
    tx.append(block);
    tx.add('}', 'table');
    const elements: [string, [string, string][]][] = [];
    for (const [name, spec] of sets) {
      const entries = [...(this.#elements.get(name)?.desiredEntries() ?? [])];
      if (entries.length > 0) this.#elementCommands(tx, 'add', name, entries, spec.map !== undefined);
      elements.push([name, entries]);
    }
    return {
      tx,
      commit: () => {
        this.#tableExists = true;
        this.#chains.replaceDataplane(chains);
        this.#sets.replaceDataplane(sets);
        for (const t of this.#elements.values()) t.replaceDataplane([]);
        for (const [name, entries] of elements) this.#tracker(name).replaceDataplane(entries);
        for (const [name, t] of [...this.#elements]) {
          if (!this.#sets.hasDesired(name)) this.#elements.delete(name);
          else this.#markElements(name, t);
        }
      },
    };
  }
}
