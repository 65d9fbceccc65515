/**
 * `calicoctl datastore migrate lock|unlock`: marks the datastore not ready (or
 * ready again) through ClusterInformation's `datastoreReady`, as calicoctl does
 * around a migration.
 * @module
 */
import { CommandFailedError, messageOf } from '../errors.ts';
import type { CommandContext } from './context.ts';

export interface DatastoreFlags {
  readonly config?: string | undefined;
  readonly allowVersionMismatch?: boolean | undefined;
}

/**
 * Runs `datastore migrate lock` (`ready` false) or `unlock` (`ready` true).
 * @throws {CommandFailedError}
 */
export async function runDatastoreLock(ctx: CommandContext, lock: boolean, flags: DatastoreFlags): Promise<void> {
  const what = lock ? 'locking' : 'unlocking';
  const session = ctx.session(flags);
  try {
    const client = await session.open();
    if (lock) {
      try {
        await client.ensureInitialized();
      } catch (err) {
        throw new CommandFailedError(`unable to initialize cluster information for the datastore migration: ${messageOf(err)}`);
      }
    }
    let info;
    try {
      info = await client.get({ kind: 'ClusterInformation', name: 'default' });
    } catch (err) {
      throw new CommandFailedError(`error retrieving ClusterInformation for ${what}: ${messageOf(err)}`);
    }
    try {
      await client.update({ ...info, spec: { ...(info.spec ?? {}), datastoreReady: !lock } });
    } catch (err) {
      throw new CommandFailedError(`error updating ClusterInformation for ${what}: ${messageOf(err)}`);
    }
    ctx.io.stdout(lock ? 'Datastore locked.\n' : 'Datastore unlocked.\n');
  } finally {
    await session.close();
  }
}
