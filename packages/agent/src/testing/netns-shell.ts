/**
 * Shell helpers for the agent's kernel tests (`*.netns.test.ts`): run a command and fail on a
 * non-zero exit, decide whether the machine can run the test, and poll for a kernel state.
 * @module
 */
import { spawnExec } from '../shims/exec.ts';

/** Runs `argv` (15 s limit) and returns its stdout; throws naming the command on a non-zero exit. */
export async function sh(...argv: string[]): Promise<string> {
  const r = await spawnExec.run(argv, { timeoutMs: 15_000 });
  if (r.exitCode !== 0) throw new Error(`${argv.join(' ')}: exit ${r.exitCode}: ${r.stderr.trim()}`);
  return r.stdout;
}

/** True when running as root and every command in `commands` is on the PATH. */
export async function rootWith(...commands: string[]): Promise<boolean> {
  if (process.getuid?.() !== 0) return false;
  try {
    await sh('sh', '-c', commands.map((c) => `command -v ${c}`).join(' && '));
    return true;
  } catch {
    return false;
  }
}

/** Polls `check` every 50 ms (a throw counts as false) until it holds; returns the elapsed milliseconds. */
export async function waitFor(what: string, check: () => Promise<boolean>, timeoutMs: number): Promise<number> {
  const start = performance.now();
  while (!(await check().catch(() => false))) {
    if (performance.now() - start > timeoutMs) throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  return performance.now() - start;
}
