/**
 * The conntrack shim: deletes the connection-tracking entries of one workload address with
 * `conntrack -D` (conntrack-tools), optionally inside a named network namespace. The route
 * table calls it when an address stops being routed to an interface.
 * @module
 */
import { inNetns, spawnExec, type Exec } from './exec.ts';
import { KernelCommandError, isKernelCommandError } from './kernel-command-error.ts';
import type { IPFamily } from './ip.ts';

/** Deletes conntrack entries. */
export interface ConntrackShim {
  /**
   * Deletes every flow whose original or reply source is `ip`, i.e. flows the workload started
   * and flows it answered.
   * @throws {KernelCommandError} when `conntrack` fails for a reason other than "no such flows"
   * @throws {ExecError} when `conntrack` cannot be started (see `isConntrackMissing`)
   */
  deleteFlowsOf(family: IPFamily, ip: string): Promise<void>;
}

/** Options of `ConntrackTool`. */
export interface ConntrackToolOptions {
  exec?: Exec;
  /** Run inside this named network namespace (`ip netns exec`). */
  netns?: string;
  binary?: string;
}

/** `conntrack` from conntrack-tools. */
export class ConntrackTool implements ConntrackShim {
  readonly #exec: Exec;
  readonly #binary: string;

  constructor(options: ConntrackToolOptions = {}) {
    const exec = options.exec ?? spawnExec;
    this.#exec = options.netns === undefined ? exec : inNetns(exec, options.netns);
    this.#binary = options.binary ?? 'conntrack';
  }

  async deleteFlowsOf(family: IPFamily, ip: string): Promise<void> {
    for (const direction of ['--orig-src', '--reply-src']) {
      const argv = [this.#binary, '--family', family === 4 ? 'ipv4' : 'ipv6', '--delete', direction, ip];
      const result = await this.#exec.run(argv);
      // conntrack exits 1 when nothing matched; that is the common, successful case.
      if (result.exitCode !== 0 && !/0 flow entries/.test(result.stderr)) throw new KernelCommandError(argv, result);
    }
  }
}

/** True when the error means the `conntrack` program is not installed. */
export function isConntrackMissing(err: unknown): boolean {
  // Started directly, spawn fails with ENOENT (an `ExecError`); through `ip netns exec`, the
  // exec inside the namespace fails and `ip` reports it.
  if (isKernelCommandError(err)) return /exec of ".*" failed: No such file or directory/.test(err.stderr);
  return err instanceof Error && (err as { code?: unknown }).code === 'AGENT_EXEC_FAILED' && /ENOENT/.test(err.message);
}
