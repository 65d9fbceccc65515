/**
 * The `percale` executable: Percale's own commands (the calicoctl-compatible CLI
 * is `calicoctl`). At this stage: the demo and the local datastore.
 * @module
 */
import { Command, InvalidArgumentError } from 'commander';
import { DEFAULT_STATE_DIR, runDemo } from './percale/demo.ts';
import { localDatastoreStatus, startLocalDatastore, stopLocalDatastore } from './percale/local-datastore.ts';

function port(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 65535) throw new InvalidArgumentError(`"${value}" is not a TCP port (1-65535)`);
  return n;
}

const stateDirOption = ['--state-dir <dir>', 'folder for the local datastore (data, pid file, log)', DEFAULT_STATE_DIR] as const;
const portOption = ['--port <port>', 'client port of the local etcd on 127.0.0.1', port, 2379] as const;

const program = new Command('percale')
  .description('Calico-compatible networking and security policy for multi-region OpenStack')
  .showHelpAfterError();

program
  .command('demo')
  .description('start a local datastore, load the two-region example policy set and show it with calicoctl')
  .option(...stateDirOption)
  .option(...portOption)
  .option('--examples <dir>', 'folder of resource files to load instead of examples/two-region')
  .action(async (opts: { stateDir: string; port: number; examples?: string }) => {
    process.exitCode = await runDemo(opts, (s) => process.stdout.write(s));
  });

const datastore = program.command('datastore').description('manage the local etcd datastore');
datastore
  .command('start')
  .description('start a local etcd on 127.0.0.1 (kept running in the background)')
  .option(...stateDirOption)
  .option(...portOption)
  .action(async (opts: { stateDir: string; port: number }) => {
    const s = await startLocalDatastore(opts);
    process.stdout.write(`Local datastore running at ${s.endpoint} (pid ${s.pid}, data in ${s.dataDir})\n`);
  });
datastore
  .command('stop')
  .description('stop the local etcd (its data is kept)')
  .option(...stateDirOption)
  .action(async (opts: { stateDir: string }) => {
    process.stdout.write((await stopLocalDatastore(opts.stateDir)) ? 'Local datastore stopped\n' : 'Local datastore was not running\n');
  });
datastore
  .command('status')
  .description('tell whether the local etcd is running')
  .option(...stateDirOption)
  .action(async (opts: { stateDir: string }) => {
    const s = await localDatastoreStatus(opts.stateDir);
    process.stdout.write(s.running ? `running at ${s.endpoint} (pid ${s.pid}, data in ${s.dataDir})\n` : `not running (data in ${s.dataDir})\n`);
    if (!s.running) process.exitCode = 3;
  });

try {
  await program.parseAsync(process.argv);
} catch (err) {
  process.stderr.write(`percale: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exitCode = 1;
}
