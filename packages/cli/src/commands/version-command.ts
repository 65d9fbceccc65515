/**
 * `calicoctl version [--client] [--poll=<duration>]`: the client version and, when
 * the datastore answers, the cluster's version and type from ClusterInformation.
 * @module
 */
import { CommandFailedError, messageOf } from '../errors.ts';
import { clientVersion, gitCommit } from '../version.ts';
import type { CommandContext } from './context.ts';

export interface VersionFlags {
  readonly client?: boolean | undefined;
  readonly poll?: string | undefined;
  readonly config?: string | undefined;
}

// Labels are padded to 18 characters and Go's Println adds one more space.
const line = (label: string, value: string) => `${label.padEnd(18)} ${value}\n`;

const UNIT_MS: Record<string, number> = { ns: 1e-6, us: 1e-3, 'µs': 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/**
 * Parses a Go duration (`500ms`, `1m30s`).
 * @throws {CommandFailedError} when it is not one
 */
export function parseGoDuration(text: string): number {
  const re = /(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|ms|s|m|h)/gy;
  let total = 0;
  let matched = 0;
  for (let m = re.exec(text); m; m = re.exec(text)) {
    total += Number(m[1]) * UNIT_MS[m[2]!]!;
    matched = re.lastIndex;
  }
  if (text === '' || matched !== text.length) throw new CommandFailedError(`invalid poll duration specified: ${text}`);
  return total;
}

/**
 * Runs `calicoctl version`.
 * @throws {CommandFailedError}
 */
export async function runVersion(ctx: CommandContext, flags: VersionFlags): Promise<void> {
  const pollMs = flags.poll ? parseGoDuration(flags.poll) : 0;
  ctx.io.stdout(line('Client Version:', clientVersion()));
  ctx.io.stdout(line('Git commit:', gitCommit()));
  if (flags.client) return;
  // The version command never enforces the version check itself.
  const session = ctx.session({ config: flags.config || undefined, allowVersionMismatch: true });
  try {
    const opened = await session.settle();
    if ('error' in opened) {
      if (opened.error.order === 'first') throw opened.error;
      if (!session.config) {
        ctx.io.stdout('Unable to detect installed Calico version\n');
        return;
      }
      throw new CommandFailedError(`unable to retrieve Cluster Version or Type: ${opened.error.message.replace(/^Failed to create Calico API client: /, '')}`);
    }
    let shown = { version: '', type: '' };
    for (;;) {
      let error: string | undefined;
      try {
        const info = await opened.client.get({ kind: 'ClusterInformation', name: 'default' });
        const spec = (info.spec ?? {}) as { calicoVersion?: string; clusterType?: string };
        const version = spec.calicoVersion || 'unknown';
        const type = spec.clusterType || 'unknown';
        if (version !== shown.version) ctx.io.stdout(line('Cluster Version:', version));
        if (type !== shown.type) ctx.io.stdout(line('Cluster Type:', type));
        shown = { version, type };
      } catch (err) {
        error = `unable to retrieve Cluster Version or Type: ${messageOf(err)}`;
        shown = { version: '', type: '' };
      }
      if (!pollMs) {
        if (error) throw new CommandFailedError(error);
        return;
      }
      if (error) ctx.io.stderr(`${error}\n`);
      await ctx.sleep(pollMs);
    }
  } finally {
    await session.close();
  }
}
