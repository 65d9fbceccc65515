/**
 * Watches the ruleset generation with a long-lived `nft monitor` (agent-dataplane.md §12): nft
 * ends every committed batch with `# new generation N by process P (comm)`. A batch that touched
 * the agent's table and was committed by a process the agent did not start is a foreign change,
 * so the periodic read-back may be skipped while none has happened. Any doubt (monitor not
 * running, restarted since the last read-back) counts as a foreign change. nft 1.0.6's monitor
 * can crash under bulk loads and caches the whole ruleset when it starts, so the driver runs it
 * only in steady state and pauses it around large transactions.
 * @module
 */
import type { Exec, LineStream } from '../../shims/exec.ts';

const GENERATION = /^# new generation (\d+) by process (\d+)/;

/** Tracks whether anything but the agent changed its table since the last `reset()`. */
export class GenerationMonitor {
  readonly #exec: Exec;
  readonly #argv: readonly string[];
  readonly #tablePattern: RegExp;
  readonly #onForeignChange: () => void;
  readonly #ownPids = new Set<number>();
  #stream: LineStream | undefined;
  #healthy = false;
  #foreign = true;
  #touchedTable = false;
  /** Foreign changes seen so far, and the count when the current read-back began. */
  #foreignEvents = 0;
  #eventsAtReadStart = 0;
  #generation: number | undefined;

  constructor(exec: Exec, nft: readonly string[], family: string, table: string, onForeignChange: () => void) {
    this.#exec = exec;
    this.#argv = [...nft, 'monitor'];
    // Event lines name the table as "<family> <table>" followed by a space or the line end.
    this.#tablePattern = new RegExp(`(^|\\s)${family} ${table.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}(\\s|$)`);
    this.#onForeignChange = onForeignChange;
  }

  /** True while `nft monitor` runs. */
  get running(): boolean {
    return this.#stream !== undefined;
  }

  /** Starts `nft monitor`; until the next read-back, changes count as foreign. */
  start(): void {
    if (this.#stream) return;
    this.#healthy = true;
    this.#foreign = true;
    this.#stream = this.#exec.streamLines(this.#argv, {
      onLine: (line) => this.#onLine(line),
      // A dead monitor only means "unknown": the next refresh reads (no immediate read-back).
      onExit: () => {
        this.#stream = undefined;
        this.#healthy = false;
        this.#foreign = true;
      },
    });
  }

  /** Stops the monitor process; changes count as foreign until it runs again and a read-back resets it. */
  stop(): void {
    this.#stream?.stop();
    this.#stream = undefined;
    this.#healthy = false;
    this.#foreign = true;
  }

  /** Records the PID of an `nft` the agent started, so its generations are not foreign. */
  ownProcess(pid: number): void {
    this.#ownPids.add(pid);
    // PIDs are only needed until their generation line arrives; bound the set regardless.
    if (this.#ownPids.size > 64) this.#ownPids.delete(this.#ownPids.values().next().value!);
  }

  /** True when a foreign change may have happened since the last `reset()` (or the monitor is down). */
  get foreignChangeSeen(): boolean {
    return this.#foreign || !this.#healthy;
  }

  /** The last generation number seen, if any. */
  get generation(): number | undefined {
    return this.#generation;
  }

  /** Called when a full read-back begins. */
  beginRead(): void {
    this.#eventsAtReadStart = this.#foreignEvents;
  }

  /** Called after a full read-back: the kernel state is known again, unless it changed meanwhile. */
  reset(): void {
    this.#foreign = !this.#healthy || this.#foreignEvents !== this.#eventsAtReadStart;
  }

  #markForeign(): void {
    this.#foreignEvents++;
    this.#foreign = true;
    this.#onForeignChange();
  }

  #onLine(line: string): void {
    const gen = GENERATION.exec(line);
    if (gen) {
      this.#generation = Number(gen[1]);
      const pid = Number(gen[2]);
      const ours = this.#ownPids.delete(pid);
      if (this.#touchedTable && !ours) this.#markForeign();
      this.#touchedTable = false;
      return;
    }
    if (line.trim() === '') return;
    // "flush ruleset" and "delete table" also name the table; other tables' events do not.
    if (this.#tablePattern.test(line) || /^(flush|delete) ruleset/.test(line)) this.#touchedTable = true;
  }
}
