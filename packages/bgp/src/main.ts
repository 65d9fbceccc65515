/**
 * `percale bgp`: the per-host BGP daemon's composition root (calico-node's start-up + confd +
 * BIRD's runit service, in one process):
 *
 *   env + felix.cfg ─▶ settings ─▶ EtcdStore ─▶ Node registration (IP/IP6/AS, CAS)
 *        ─▶ BgpDaemon: Syncer ─▶ renderBird ─▶ bird -p ─▶ bird.conf ─▶ birdc configure
 *                                                          └─▶ BirdSupervisor (bird -f -R …)
 *        ─▶ status file (<run-dir>/bgp-status.json)
 *
 * SIGTERM/SIGINT stop the daemon and its BIRD cleanly (exit 0); a setting that cannot be used
 * exits 1 before anything starts; an unexpected error exits 1 for the supervisor to restart.
 * @module
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { Client, EtcdStore, isUnavailable } from '@percale/datastore';
import { BirdControl, createLogger, parseSeverity, type Logger } from '@percale/daemon';
import { BirdSupervisor } from './bird/bird-supervisor.ts';
import { checkBirdConfig } from './bird/check-bird-config.ts';
import { BgpDaemon, type BgpSnapshot, type BirdPort } from './daemon/bgp-daemon.ts';
import { BgpSettingsError, loadBgpSettings, type BgpSettings } from './daemon/bgp-settings.ts';
import { ConfigInstaller } from './daemon/config-installer.ts';
import { StatusFile } from './daemon/status-file.ts';
import { AddressConfigError, registerNode, resolveNodeRegistration } from './node/register-node.ts';
import { renderBird, type SecretRef } from './render/index.ts';

/** Default directory of the rendered BIRD configuration. */
export const DEFAULT_BIRD_CONFIG = '/etc/percale/bird/bird.conf';
/** Default directory of BIRD's socket and pid file and of the status file. */
export const DEFAULT_RUN_DIR = '/var/run/percale';
/** Default directory of BGP passwords: `<secret name>/<key>` files. */
export const DEFAULT_SECRETS_DIR = '/etc/percale/bgp-secrets';

/** Parsed `percale bgp` arguments. */
export interface BgpArgs {
  help: boolean;
  configFile?: string;
  birdConfig: string;
  runDir: string;
  /** Set: manage the operator's BIRD on this socket instead of starting one. */
  birdSocket?: string;
  birdBinary: string;
  statusFile?: string;
  secretsDir: string;
  register: boolean;
  logLevel?: string;
}

const USAGE = `Usage: percale bgp [options]

Runs the per-host BGP daemon: registers this host's Node (BGP address, AS), renders BIRD 2's
configuration from the datastore, checks it with BIRD's parser, swaps it in and reloads BIRD.

Options:
  -c, --config-file <path>  felix.cfg with the datastore settings and node name
                            (default /etc/calico/felix.cfg; an absent file is fine)
  --bird-config <path>      the configuration file Percale writes (default ${DEFAULT_BIRD_CONFIG})
  --run-dir <dir>           BIRD's control socket (bird.ctl) and pid file, and the status file
                            bgp-status.json (default ${DEFAULT_RUN_DIR})
  --bird-socket <path>      do not start BIRD: manage the operator's BIRD listening on this
                            socket (it must run with -c <bird-config>)
  --bird-binary <path>      the BIRD 2 binary (default bird)
  --status-file <path>      where to write the status (default <run-dir>/bgp-status.json)
  --secrets-dir <dir>       BGP passwords as <secret name>/<key> files (default ${DEFAULT_SECRETS_DIR})
  --no-register             do not create or update this host's Node resource
  --log-level <level>       debug, info, warning, error or none (default info; env PERCALE_BGP_LOGLEVEL)
  -h, --help                show this help

Environment (calico-node's): NODENAME, IP, IP6, AS, IP_AUTODETECTION_METHOD,
IP6_AUTODETECTION_METHOD, CALICO_ROUTER_ID, ETCD_ENDPOINTS, ETCD_CA_CERT_FILE, ETCD_CERT_FILE,
ETCD_KEY_FILE, ETCD_USERNAME, ETCD_PASSWORD.
`;

/**
 * Parses `percale bgp` arguments.
 * @throws {TypeError} on an unknown option or a missing value
 */
export function parseBgpArgs(argv: readonly string[]): BgpArgs {
  const out: BgpArgs = { help: false, birdConfig: DEFAULT_BIRD_CONFIG, runDir: DEFAULT_RUN_DIR, birdBinary: 'bird', secretsDir: DEFAULT_SECRETS_DIR, register: true };
  const valued: Record<string, (v: string) => void> = {
    '--config-file': (v) => (out.configFile = v),
    '-c': (v) => (out.configFile = v),
    '--bird-config': (v) => (out.birdConfig = v),
    '--run-dir': (v) => (out.runDir = v),
    '--bird-socket': (v) => (out.birdSocket = v),
    '--bird-binary': (v) => (out.birdBinary = v),
    '--status-file': (v) => (out.statusFile = v),
    '--secrets-dir': (v) => (out.secretsDir = v),
    '--log-level': (v) => (out.logLevel = v),
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const eq = a.indexOf('=');
    const [name, inline] = a.startsWith('--') && eq > 0 ? [a.slice(0, eq), a.slice(eq + 1)] : [a, undefined];
    if (name === '-h' || name === '--help') out.help = true;
    else if (name === '--no-register') out.register = false;
    else if (valued[name]) {
      const v = inline ?? argv[++i];
      if (v === undefined || v === '') throw new TypeError(`${name} needs a value`);
      valued[name](v);
    } else throw new TypeError(`unknown argument "${a}"`);
  }
  return out;
}

/** BGP passwords from files: `<dir>/<secret name>/<key>`, trailing newline dropped. */
function secretReader(dir: string, log: Logger): (ref: SecretRef) => string | undefined {
  return (ref) => {
    try {
      return readFileSync(join(dir, ref.name, ref.key), 'utf8').replace(/\r?\n$/, '');
    } catch (err) {
      log.warn('BGP password not found; the session gets none', { secret: ref.name, key: ref.key, error: (err as Error).message });
      return undefined;
    }
  };
}

/** The `percale bgp` entry point; resolves to the exit status. */
export async function main(argv: readonly string[], env: NodeJS.ProcessEnv = process.env): Promise<number> {
  let args: BgpArgs;
  try {
    args = parseBgpArgs(argv);
  } catch (err) {
    process.stderr.write(`percale bgp: ${(err as Error).message}\n${USAGE}`);
    return 2;
  }
  if (args.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  const levelText = args.logLevel ?? env['PERCALE_BGP_LOGLEVEL'] ?? 'info';
  // `none` is this daemon's own word for no logging ('' in Felix's severities).
  const level = levelText.trim().toLowerCase() === 'none' ? '' : parseSeverity(levelText);
  if (level === undefined) {
    process.stderr.write(`percale bgp: unknown log level "${levelText}" (use debug, info, warning, error or none)\n`);
    return 2;
  }
  const log = createLogger({ screenSeverity: level });
  let settings: BgpSettings;
  try {
    settings = await loadBgpSettings(env, args.configFile);
  } catch (err) {
    if (!(err instanceof BgpSettingsError)) throw err;
    log.error(err.message);
    return 1;
  }
  const { nodeName } = settings;
  const managed = args.birdSocket === undefined;
  const socketPath = args.birdSocket ?? join(args.runDir, 'bird.ctl');
  const statusPath = args.statusFile ?? join(args.runDir, 'bgp-status.json');
  log.info('Percale BGP daemon starting', {
    pid: process.pid, node: nodeName, nodeNameFrom: settings.sources.nodeName, etcd: settings.etcd.endpoints.join(','),
    birdConfig: args.birdConfig, birdSocket: socketPath, bird: managed ? 'managed' : 'operator-run', status: statusPath,
  });

  const store = new EtcdStore({ endpoints: settings.etcd.endpoints, ...(settings.etcd.tls && { tls: settings.etcd.tls }), ...(settings.etcd.username !== undefined && { username: settings.etcd.username, password: settings.etcd.password! }) });
  const control = new BirdControl(socketPath);
  const supervisor = managed
    ? new BirdSupervisor({ binary: args.birdBinary, configPath: args.birdConfig, socketPath, pidPath: join(args.runDir, 'bird.pid'), log })
    : undefined;
  let stopRequested: (code: number) => void = () => undefined;
  const stopped = new Promise<number>((resolve) => {
    stopRequested = resolve;
  });
  const onSignal = (signal: NodeJS.Signals) => {
    log.info('Received signal; stopping', { signal });
    // A service manager signals the whole group: BIRD may be exiting already, and must not be restarted.
    void supervisor?.stop();
    stopRequested(0);
  };
  process.on('SIGTERM', onSignal).on('SIGINT', onSignal);
  let daemon: BgpDaemon | undefined;
  let stopping = false;
  void stopped.then(() => {
    stopping = true;
  });
  try {
    // A configuration from an earlier run lets routing resume before etcd is even reached.
    if (supervisor && existsSync(args.birdConfig)) {
      log.info('Starting BIRD on the configuration installed before', { path: args.birdConfig });
      supervisor.start({ recovery: true });
    }
    if (args.register) {
      const client = new Client(store);
      // etcd may come up after this host: wait for it (BIRD keeps routing meanwhile).
      for (let waitMs = 1_000; ; waitMs = Math.min(waitMs * 2, 30_000)) {
        const attempt = registerNode(client, nodeName, (stored) => resolveNodeRegistration(nodeName, env, stored), log);
        // A stop request must not wait for etcd's dial timeout; a late failure is then moot.
        attempt.catch(() => undefined);
        try {
          if ((await Promise.race([attempt.then(() => 'registered' as const), stopped.then(() => 'stop' as const)])) === 'stop') return 0;
          break;
        } catch (err) {
          if (!isUnavailable(err)) throw err;
          log.warn('Datastore unavailable; retrying Node registration', { error: (err as Error).message, retryInMs: waitMs });
          if (await Promise.race([stopped.then(() => true), delay(waitMs).then(() => false)])) return 0;
        }
      }
    }
    if (stopping) return 0;
    const routerId = env['CALICO_ROUTER_ID']?.trim() || undefined;
    const secret = secretReader(args.secretsDir, log);
    let lastWarnings = '';
    const render = (snapshot: BgpSnapshot) => {
      const rendered = renderBird({ ...snapshot, routerId, secret });
      const warnings = rendered.warnings.join('\n');
      if (warnings !== lastWarnings) for (const w of rendered.warnings) log.warn('BIRD configuration: part of the datastore state was left out', { reason: w });
      lastWarnings = warnings;
      return rendered;
    };
    const bird: BirdPort = {
      socketPath,
      configure: () => control.configure(),
      showProtocols: () => control.showProtocols(),
      ...(supervisor && { supervisor }),
    };
    const statusFile = new StatusFile(statusPath, (err) => log.warn('Cannot write the status file', { path: statusPath, error: err.message }));
    daemon = new BgpDaemon({
      store, nodeName, render, bird, log,
      installer: new ConfigInstaller({ path: args.birdConfig, check: (path) => checkBirdConfig(path, args.birdBinary) }),
      publish: (status) => statusFile.write(status),
    });
    await daemon.start();
    return await stopped;
  } catch (err) {
    if (err instanceof AddressConfigError) {
      log.error(err.message);
      return 1;
    }
    log.error('BGP daemon failed; exiting so that the supervisor restarts it', { error: err, stack: (err as Error).stack ?? '' });
    return 1;
  } finally {
    process.off('SIGTERM', onSignal).off('SIGINT', onSignal);
    await daemon?.stop().catch(() => undefined);
    await supervisor?.stop();
    await store.close().catch(() => undefined);
  }
}

if (import.meta.main) {
  const die = (err: unknown) => {
    process.stderr.write(`percale bgp: unexpected error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  };
  process.on('uncaughtException', die).on('unhandledRejection', die);
  main(process.argv.slice(2)).then((code) => process.exit(code), die);
}
