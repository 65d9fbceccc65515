/**
 * Entry point of `percale neutron-controller` and `percale neutron-resync` (the launcher passes
 * the command as the first argument). The controller runs until SIGTERM/SIGINT, then steps
 * down and exits 0; the resync prints its JSON summary and exits 0 (ok), 1 (failed) or 2
 * (bad usage or configuration).
 * @module
 */
import { writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { createLogger, parseSeverity, type Logger } from '@percale/daemon';
import { loadControllerConfig, isConfigError, type ControllerConfig } from './config/index.ts';
import { EtcdCompactor } from './election/etcd-compaction.ts';
import { LeaderElector } from './election/leader-elector.ts';
import { parseArgs, UsageError, type ControllerArgs, type ResyncArgs } from './app/cli-args.ts';
import { NeutronController } from './app/neutron-controller.ts';
import { createStatusParts } from './app/status-parts.ts';
import { OsloRpcClient } from './neutron/rpc/oslo-rpc-client.ts';
import { createNeutronReader, createNotificationSource, createStore, createSyncEnv } from './app/wiring.ts';
import { runResync } from './sync/resync.ts';
import { sortedJson } from './sync/resync-result.ts';

/** Exit statuses (networking-calico's calico-resync). */
const EXIT_OK = 0;
const EXIT_FAILED = 1;
const EXIT_USAGE = 2;

function loadConfig(args: ControllerArgs | ResyncArgs): ControllerConfig | undefined {
  try {
    return loadControllerConfig({ configFiles: args.configFiles, configDirs: args.configDirs, env: process.env, hostname: hostname() });
  } catch (err) {
    if (!isConfigError(err)) throw err;
    process.stderr.write(`${err.message}\n`);
    return undefined;
  }
}

async function runController(args: ControllerArgs, log: Logger): Promise<number> {
  const config = loadConfig(args);
  if (!config) return EXIT_USAGE;
  const store = createStore(config);
  const env = createSyncEnv(config, store, createNeutronReader(config), log);
  const elector = new LeaderElector({
    kv: env.kv,
    regionString: config.regionString,
    electorName: config.election.electorName,
    ttlSeconds: config.election.ttlSeconds,
    refreshSeconds: config.election.refreshSeconds,
    log,
  });
  const controller = new NeutronController({
    env,
    elector,
    notifications: (onMissed) => createNotificationSource(config, log, onMissed),
    status: createStatusParts(config, env, log, (c, l) => new OsloRpcClient({
      transportUrl: c.messaging.rpc.transportUrl!,
      exchange: c.messaging.rpc.exchange,
      durable: c.messaging.rabbit.durableQueues,
      autoDelete: c.messaging.rabbit.autoDelete,
      log: l,
    })),
    compaction: () => new EtcdCompactor({
      kv: env.kv,
      compact: (revision) => store.compact(revision),
      periodMinutes: config.compaction.periodMinutes,
      minRevisions: config.compaction.minRevisions,
      log,
    }),
    startupResync: config.startupResync,
    log,
  });
  log.info('Starting the Neutron controller', { region: config.region ?? '', namespace: config.namespace, neutron: config.neutronApiUrl, etcd: config.etcd.endpoints.join(',') });
  controller.start();
  await new Promise<void>((resolve) => {
    const stop = (signal: string) => {
      log.info('Stopping: stepping down as leader', { signal });
      resolve();
    };
    process.once('SIGTERM', () => stop('SIGTERM'));
    process.once('SIGINT', () => stop('SIGINT'));
  });
  await controller.stop();
  await store.close();
  log.info('Neutron controller stopped');
  return EXIT_OK;
}

async function runResyncCommand(args: ResyncArgs, log: Logger): Promise<number> {
  const config = loadConfig(args);
  if (!config) return EXIT_USAGE;
  const store = createStore(config);
  try {
    const result = await runResync(createSyncEnv(config, store, createNeutronReader(config), log), args.scope);
    const text = `${sortedJson(result)}\n`;
    process.stdout.write(text);
    if (args.output !== undefined) await writeFile(args.output, text);
    return result.ok ? EXIT_OK : EXIT_FAILED;
  } finally {
    await store.close();
  }
}

async function main(argv: readonly string[]): Promise<number> {
  const log = createLogger({ screenSeverity: parseSeverity(process.env.PERCALE_LOG_SEVERITY ?? '') ?? 'INFO' });
  let args;
  try {
    args = parseArgs(argv);
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    process.stderr.write(`${err.message}\n`);
    return EXIT_USAGE;
  }
  if (args.command === 'help') {
    process.stdout.write(args.text);
    return EXIT_OK;
  }
  return args.command === 'neutron-controller' ? runController(args, log) : runResyncCommand(args, log);
}

try {
  process.exitCode = await main(process.argv.slice(2));
} catch (err) {
  process.stderr.write(`percale ${process.argv[2] ?? ''}: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exitCode = EXIT_FAILED;
}
// Timers and sockets of libraries must not keep a finished command alive.
setTimeout(() => process.exit(), 200).unref();
