/**
 * Percale's `calicoctl`: the commands, flags, files and messages Calico users type,
 * against the etcd datastore. `main()` runs one invocation against injected I/O (the
 * tests call it in-process); run as a program, it wires up the real process.
 * @module
 */
import { enableCompileCache } from 'node:module';
import type { CliIO } from './commands/context.ts';

export type { CliIO } from './commands/context.ts';
export type { ClientFactory } from './commands/session.ts';

/**
 * Runs one calicoctl invocation (`argv` without the program name) and returns its
 * exit status: 0 on success, 1 on any failure. Output goes to `io`.
 */
export async function main(argv: readonly string[], io: CliIO): Promise<number> {
  const { runCalicoctl } = await import('./run-calicoctl.ts');
  return runCalicoctl(argv, io);
}

async function readAll(stream: NodeJS.ReadableStream): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk);
  return Buffer.concat(chunks).toString('utf8');
}

/** Resolves when everything written to `stream` so far has been handed to the OS. */
function flushed(stream: NodeJS.WriteStream): Promise<void> {
  return new Promise((resolve) => stream.write('', () => resolve()));
}

if (import.meta.main) {
  // Every run compiles the same TypeScript and etcd/gRPC client code; Node's on-disk
  // compile cache (NODE_COMPILE_CACHE, or a directory under the system temp dir) halves
  // start-up. It covers only modules loaded after this call, hence the lazy import in main().
  enableCompileCache();
  const code = await main(process.argv.slice(2), {
    stdout: (s) => process.stdout.write(s),
    stderr: (s) => process.stderr.write(s),
    readStdin: () => readAll(process.stdin),
  });
  // The etcd client keeps sockets and timers alive, so the run ends with an explicit exit —
  // but only once stdout and stderr have drained: writes to a pipe are asynchronous, and
  // exiting earlier would cut `calicoctl get … | less` off at the pipe's 64 KiB.
  await Promise.all([flushed(process.stdout), flushed(process.stderr)]);
  process.exit(code);
}
