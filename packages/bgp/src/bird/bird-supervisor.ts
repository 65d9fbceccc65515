/**
 * `BirdSupervisor`: runs this host's BIRD 2 in the foreground
 * (`bird -f [-R] -c <conf> -s <sock> -P <pid>`) and starts it again with back-off when it
 * dies. `-R` starts BIRD in graceful-restart recovery, so a restarted BIRD does not prune the
 * kernel routes it left behind (`persist`) before its sessions are back (spec bgp.md §7). It
 * is used for every restart and whenever the caller says routes may have been left behind; a
 * first start on a fresh host skips it, because recovery holds back kernel programming until
 * every peer has sent its routes (or `graceful restart wait`, 240 s, runs out).
 * @module
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Logger } from '@percale/daemon';

export interface BirdSupervisorOptions {
  /** The BIRD binary (default `bird`). */
  binary?: string;
  configPath: string;
  socketPath: string;
  pidPath: string;
  log: Logger;
  /** First wait before a restart (default 500 ms), doubling to `maxBackoffMs` (default 30 s). */
  minBackoffMs?: number;
  maxBackoffMs?: number;
  /** A run that lasted this long resets the back-off (default 60 s). */
  stableAfterMs?: number;
}

/** What the supervisor knows about its BIRD. */
export interface BirdProcessStatus {
  running: boolean;
  pid: number | undefined;
  /** Restarts after unexpected exits. */
  restarts: number;
  /** How the last run ended, if it did. */
  lastExit: string | undefined;
}

/** Starts, watches and stops one BIRD process. */
export class BirdSupervisor {
  readonly #o: Required<Omit<BirdSupervisorOptions, 'log'>> & { log: Logger };
  #child: ChildProcess | undefined;
  #timer: NodeJS.Timeout | undefined;
  #backoffMs: number;
  #restarts = 0;
  #lastExit: string | undefined;
  #stopping = false;
  #started = false;
  #stderrTail = '';

  constructor(options: BirdSupervisorOptions) {
    this.#o = { binary: 'bird', minBackoffMs: 500, maxBackoffMs: 30_000, stableAfterMs: 60_000, ...options };
    this.#backoffMs = this.#o.minBackoffMs;
  }

  get status(): BirdProcessStatus {
    return { running: this.#child !== undefined, pid: this.#child?.pid, restarts: this.#restarts, lastExit: this.#lastExit };
  }

  /** True once `start()` has been called (and `stop()` has not). */
  get started(): boolean {
    return this.#started;
  }

  /**
   * Starts BIRD; later exits are followed by restarts (in recovery) until `stop()`.
   * `recovery`: start in graceful-restart recovery, for when kernel routes of an earlier BIRD may remain.
   */
  start(options: { recovery?: boolean } = {}): void {
    if (this.#started) return;
    this.#started = true;
    this.#stopping = false;
    mkdirSync(dirname(this.#o.socketPath), { recursive: true });
    mkdirSync(dirname(this.#o.pidPath), { recursive: true });
    this.#spawn(options.recovery ?? true);
  }

  #spawn(recovery: boolean): void {
    this.#timer = undefined;
    if (this.#stopping) return;
    const args = ['-f', ...(recovery ? ['-R'] : []), '-c', this.#o.configPath, '-s', this.#o.socketPath, '-P', this.#o.pidPath];
    const startedAt = Date.now();
    const child = spawn(this.#o.binary, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    this.#child = child;
    this.#stderrTail = '';
    child.stderr!.setEncoding('utf8');
    child.stderr!.on('data', (text: string) => {
      this.#stderrTail = (this.#stderrTail + text).slice(-2_000);
    });
    child.once('spawn', () => this.#o.log.info('BIRD started', { pid: child.pid, config: this.#o.configPath, socket: this.#o.socketPath, recovery }));
    child.once('error', (err) => {
      // Spawn failures (no binary) also end in 'close' only sometimes: handle them here.
      if (this.#child !== child) return;
      this.#onExit(child, `failed to start: ${err.message}`, startedAt);
    });
    child.once('close', (code, signal) => {
      if (this.#child !== child) return;
      this.#onExit(child, signal ? `killed by ${signal}` : `exit status ${code}`, startedAt);
    });
  }

  #onExit(child: ChildProcess, how: string, startedAt: number): void {
    if (this.#child === child) this.#child = undefined;
    this.#lastExit = how;
    if (this.#stopping) return;
    if (Date.now() - startedAt >= this.#o.stableAfterMs) this.#backoffMs = this.#o.minBackoffMs;
    const wait = this.#backoffMs;
    this.#backoffMs = Math.min(this.#backoffMs * 2, this.#o.maxBackoffMs);
    this.#restarts++;
    this.#o.log.error('BIRD exited; restarting it', { how, retryInMs: wait, stderr: this.#stderrTail.trim() });
    this.#timer = setTimeout(() => this.#spawn(true), wait);
  }

  /**
   * Stops BIRD with SIGTERM (a clean shutdown: peers withdraw this host's routes, the kernel
   * keeps what BIRD installed), SIGKILL after `graceMs`.
   */
  async stop(graceMs = 5_000): Promise<void> {
    this.#stopping = true;
    this.#started = false;
    clearTimeout(this.#timer);
    this.#timer = undefined;
    const child = this.#child;
    if (!child) return;
    const exited = new Promise<void>((resolve) => child.once('close', () => resolve()));
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    await exited;
    clearTimeout(timer);
  }
}
