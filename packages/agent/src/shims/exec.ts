/**
 * The process seam of the nftables driver: run `nft` to completion with stdin, or keep one
 * running and read it line by line (`nft monitor`). `inNetns()` wraps any `Exec` so every
 * command runs inside a network namespace (`ip netns exec <ns> …`), which is how tests and the
 * benchmark reach a private kernel ruleset. Nothing above `drivers/` starts a process.
 * @module
 */
import { spawn } from 'node:child_process';

/** What a finished command left behind. `exitCode` is -1 when it was killed by a signal. */
export interface ExecResult {
  exitCode: number;
  stdout: string;
  stderr: string;
}

/** Options of a one-shot command. */
export interface ExecOptions {
  /** Text fed on stdin (closed after it). */
  input?: string;
  timeoutMs?: number;
  /** Called synchronously with the child's PID once it has been started. */
  onSpawn?: (pid: number) => void;
}

/** A running long-lived child; `stop()` ends it and suppresses its exit callback. */
export interface LineStream {
  stop(): void;
}

/** Callbacks of a long-lived child: one call per stdout line, then one exit call. */
export interface LineHandlers {
  onLine(line: string): void;
  /** Called once when the child ends on its own (not after `stop()`), with a reason for logs. */
  onExit(reason: string): void;
}

/** Runs programs without a shell. */
export interface Exec {
  /**
   * Runs `argv` to completion. Resolves with any exit status.
   * @throws {ExecError} when the program cannot be started or exceeds its timeout
   */
  run(argv: readonly string[], options?: ExecOptions): Promise<ExecResult>;
  /** Starts `argv` and reports its stdout line by line until it exits or is stopped. */
  streamLines(argv: readonly string[], handlers: LineHandlers): LineStream;
}

/** A program could not be started or did not finish in time. */
export class ExecError extends Error {
  readonly code = 'AGENT_EXEC_FAILED';
  readonly argv: readonly string[];
  constructor(argv: readonly string[], detail: string, options?: { cause?: unknown }) {
    super(`Cannot run "${argv.join(' ')}": ${detail}`, options);
    this.name = 'ExecError';
    this.argv = argv;
  }
}

const DEFAULT_TIMEOUT_MS = 60_000;

/** The real `Exec`: `node:child_process.spawn`. */
export const spawnExec: Exec = {
  run(argv, options) {
    const [file, ...args] = argv;
    if (file === undefined) return Promise.reject(new ExecError(argv, 'empty command line'));
    const timeoutMs = options?.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    return new Promise((resolve, reject) => {
      const child = spawn(file, args, { stdio: ['pipe', 'pipe', 'pipe'] });
      if (child.pid !== undefined) options?.onSpawn?.(child.pid);
      const out: Buffer[] = [];
      const err: Buffer[] = [];
      let settled = false;
      const timer = setTimeout(() => {
        if (settled) return;
        settled = true;
        child.kill('SIGKILL');
        reject(new ExecError(argv, `no exit within ${timeoutMs} ms`));
      }, timeoutMs);
      child.stdout.on('data', (b: Buffer) => out.push(b));
      child.stderr.on('data', (b: Buffer) => err.push(b));
      child.on('error', (e) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        reject(new ExecError(argv, e.message, { cause: e }));
      });
      child.on('close', (code) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        resolve({ exitCode: code ?? -1, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8') });
      });
      // A child that exits before reading stdin makes the write fail with EPIPE; its status says why.
      child.stdin.on('error', () => {});
      child.stdin.end(options?.input ?? '');
    });
  },

  streamLines(argv, handlers) {
    const [file, ...args] = argv;
    let stopped = false;
    let exited = false;
    const exit = (reason: string) => {
      if (exited) return;
      exited = true;
      if (!stopped) handlers.onExit(reason);
    };
    if (file === undefined) {
      queueMicrotask(() => exit('empty command line'));
      return { stop: () => { stopped = true; } };
    }
    const child = spawn(file, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let partial = '';
    let stderrTail = '';
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => {
      const lines = (partial + chunk).split('\n');
      partial = lines.pop() ?? '';
      for (const line of lines) if (!stopped) handlers.onLine(line);
    });
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (chunk: string) => { stderrTail = (stderrTail + chunk).slice(-500); });
    child.on('error', (e) => exit(`cannot start "${argv.join(' ')}": ${e.message}`));
    child.on('close', (code, signal) => {
      const status = signal ? `signal ${signal}` : `exit status ${code}`;
      exit(`"${argv.join(' ')}" ended with ${status}${stderrTail.trim() ? `: ${stderrTail.trim()}` : ''}`);
    });
    return {
      stop() {
        if (stopped) return;
        stopped = true;
        if (!exited) child.kill('SIGTERM');
      },
    };
  },
};

/** Wraps `exec` so every command runs in network namespace `ns` (`ip netns exec` keeps the PID). */
export function inNetns(exec: Exec, ns: string): Exec {
  const wrap = (argv: readonly string[]) => ['ip', 'netns', 'exec', ns, ...argv];
  return {
    run: (argv, options) => exec.run(wrap(argv), options),
    streamLines: (argv, handlers) => exec.streamLines(wrap(argv), handlers),
  };
}
