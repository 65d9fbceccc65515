/**
 * The error the host-networking shims raise when a kernel-facing command (`ip`, a sysctl write
 * in a namespace, `conntrack`) ran but reported failure. Failing to start a program at all is
 * `ExecError` (`exec.ts`).
 * @module
 */
import type { ExecResult } from './exec.ts';

/** A kernel-facing command exited with a failure status. */
export class KernelCommandError extends Error {
  readonly code = 'AGENT_KERNEL_COMMAND_FAILED';
  readonly argv: readonly string[];
  readonly exitCode: number;
  readonly stderr: string;
  constructor(argv: readonly string[], result: ExecResult) {
    const text = result.stderr.trim() || result.stdout.trim() || '(no output)';
    super(`Cannot run "${argv.join(' ')}": exit status ${result.exitCode}: ${text}`);
    this.name = 'KernelCommandError';
    this.argv = argv;
    this.exitCode = result.exitCode;
    this.stderr = result.stderr;
  }
}

/** True for a `KernelCommandError`, also across duplicate module copies. */
export function isKernelCommandError(err: unknown): err is KernelCommandError {
  return err instanceof Error && (err as { code?: unknown }).code === 'AGENT_KERNEL_COMMAND_FAILED';
}
