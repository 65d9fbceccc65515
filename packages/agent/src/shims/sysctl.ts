/**
 * The sysctl shim: the host-networking drivers read and write kernel parameters only through
 * `Sysctls`. `ProcSysFiles` writes `/proc/sys` directly (the agent's own namespace);
 * `NetnsSysctl` writes from a shell started inside a named network namespace, because
 * `/proc/sys/net` shows the namespace of the process that opens it.
 * @module
 */
import { constants } from 'node:fs';
import { open, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { inNetns, spawnExec, type Exec } from './exec.ts';
import { KernelCommandError } from './kernel-command-error.ts';

/** One parameter: `key` in path form below `/proc/sys` (`net/ipv4/conf/tap1/proxy_arp`). */
export interface SysctlSetting {
  key: string;
  value: string;
}

/** Reads and writes kernel parameters. */
export interface Sysctls {
  /** Writes every setting in order; resolves with the ones that failed (key → reason). */
  write(settings: readonly SysctlSetting[]): Promise<Map<string, string>>;
  /** The current value (trimmed), or undefined when the parameter does not exist. */
  read(key: string): Promise<string | undefined>;
}

function checkKey(key: string): void {
  // Interface names cannot contain '/', so a key with '..' or a leading '/' is a bug, not input.
  if (key.startsWith('/') || key.split('/').includes('..')) throw new RangeError(`Cannot use sysctl key "${key}": not a relative path below /proc/sys`);
}

/** Writes `/proc/sys` files of the calling process's namespace. */
export class ProcSysFiles implements Sysctls {
  readonly #root: string;

  /** @param root the procfs sysctl directory; another directory only in tests */
  constructor(root = '/proc/sys') {
    this.#root = root;
  }

  async write(settings: readonly SysctlSetting[]): Promise<Map<string, string>> {
    const failures = new Map<string, string>();
    for (const { key, value } of settings) {
      checkKey(key);
      try {
        // O_WRONLY without O_CREAT: a missing file means a missing interface, never a file to create.
        const handle = await open(join(this.#root, key), constants.O_WRONLY);
        try {
          await handle.write(value);
        } finally {
          await handle.close();
        }
      } catch (err) {
        failures.set(key, (err as Error).message);
      }
    }
    return failures;
  }

  async read(key: string): Promise<string | undefined> {
    checkKey(key);
    try {
      return (await readFile(join(this.#root, key), 'utf8')).trim();
    } catch {
      return undefined;
    }
  }
}

// Positional arguments come in (key, value) pairs, so no value is ever parsed by the shell. No
// subshell per key (thousands of keys at start-up): failed keys go to stdout, and the shell's own
// message for each (`cannot create /proc/sys/<key>: …`) to stderr.
const WRITE_SCRIPT = 'while [ $# -gt 1 ]; do { printf %s "$2" > "/proc/sys/$1"; } || printf "%s\\n" "$1"; shift 2; done';

/** Writes `/proc/sys` from a shell inside a named network namespace (`ip netns exec`). */
export class NetnsSysctl implements Sysctls {
  readonly #exec: Exec;

  constructor(options: { netns: string; exec?: Exec }) {
    this.#exec = inNetns(options.exec ?? spawnExec, options.netns);
  }

  async write(settings: readonly SysctlSetting[]): Promise<Map<string, string>> {
    const failures = new Map<string, string>();
    if (settings.length === 0) return failures;
    const args: string[] = [];
    for (const { key, value } of settings) {
      checkKey(key);
      args.push(key, value);
    }
    const argv = ['sh', '-c', WRITE_SCRIPT, 'sh', ...args];
    const result = await this.#exec.run(argv);
    if (result.exitCode !== 0) throw new KernelCommandError(argv, result);
    const messages = result.stderr.split('\n');
    for (const key of result.stdout.split('\n')) {
      if (key === '') continue;
      const message = messages.find((m) => m.includes(`/proc/sys/${key}:`));
      failures.set(key, message?.trim() || 'write failed');
    }
    return failures;
  }

  async read(key: string): Promise<string | undefined> {
    checkKey(key);
    const result = await this.#exec.run(['cat', `/proc/sys/${key}`]);
    return result.exitCode === 0 ? result.stdout.trim() : undefined;
  }
}
