/**
 * Starts a private single-member etcd as a child process, listening on loopback
 * only. Used by `percale demo` for its local datastore and by tests, which put
 * the data directory on tmpfs.
 * @module
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdir, open, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { basename, dirname } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';

export interface LocalEtcdOptions {
  /** Where etcd keeps its data; created if missing, kept on stop unless `removeDataOnStop`. */
  dataDir: string;
  /** Client port on 127.0.0.1; 0 or omitted picks a free one. */
  clientPort?: number;
  /**
   * Also listen on this unix socket (absolute path), which processes inside network
   * namespaces can reach; clients use `unix://<path>:0` as the endpoint.
   */
  unixSocket?: string;
  /** Serve clients over TLS with these PEM files; with `clientCAFile`, require client certificates. */
  tls?: { certFile: string; keyFile: string; clientCAFile?: string };
  /** Delete `dataDir` when the server stops. */
  removeDataOnStop?: boolean;
  /** The etcd binary (default: `etcd` from PATH). */
  binary?: string;
  /** How long to wait for the server to become healthy (default 15 s). */
  startTimeoutMs?: number;
  /**
   * Keep etcd running after this process exits (its output goes to `logFile`).
   * Used by `percale datastore start`; tests leave it off so etcd dies with them.
   */
  detached?: { logFile: string };
}

export interface LocalEtcd {
  /** Client URL on loopback, e.g. `http://127.0.0.1:23791`. */
  readonly endpoint: string;
  readonly pid: number;
  readonly dataDir: string;
  /** Stops the process (SIGTERM, then SIGKILL) and removes data if asked to. */
  stop(): Promise<void>;
}

/** Finds a free TCP port on 127.0.0.1 by binding port 0. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      srv.close(() => (typeof addr === 'object' && addr ? resolve(addr.port) : reject(new Error('no port'))));
    });
  });
}

async function waitHealthy(url: string, child: ChildProcess, deadline: number, stderr: () => string): Promise<void> {
  for (let attempt = 0; Date.now() < deadline; attempt++) {
    if (child.exitCode !== null) throw new Error(`etcd exited with code ${child.exitCode} during start-up: ${stderr().trim().slice(-2000)}`);
    try {
      const res = await fetch(`${url}/health`, { signal: AbortSignal.timeout(1000) });
      const body = (await res.json()) as { health?: string };
      if (body.health === 'true') return;
    } catch {
      // not up yet
    }
    await delay(Math.min(10 * 2 ** attempt, 200));
  }
  throw new Error(`etcd did not become healthy at ${url}: ${stderr().trim().slice(-2000)}`);
}

/** Starts etcd and resolves once it answers `/health`. */
export async function startLocalEtcd(options: LocalEtcdOptions): Promise<LocalEtcd> {
  await mkdir(options.dataDir, { recursive: true, mode: 0o700 });
  const clientPort = options.clientPort || (await freePort());
  const peerPort = await freePort();
  const scheme = options.tls ? 'https' : 'http';
  const endpoint = `${scheme}://127.0.0.1:${clientPort}`;
  const listen = [endpoint];
  // etcd 3.4 only accepts `unix://<host>:<port>`-shaped URLs, read relative to its working
  // directory: run it in the socket's folder and name the socket file there.
  const cwd = options.unixSocket ? dirname(options.unixSocket) : undefined;
  if (options.unixSocket) listen.push(`unix://${basename(options.unixSocket)}:0`);
  const peer = `http://127.0.0.1:${peerPort}`;
  const args = [
    '--name', 'percale',
    '--data-dir', options.dataDir,
    '--listen-client-urls', listen.join(','),
    '--advertise-client-urls', endpoint,
    '--listen-peer-urls', peer,
    '--initial-advertise-peer-urls', peer,
    '--initial-cluster', `percale=${peer}`,
    '--initial-cluster-state', 'new',
    // Single member on loopback: short timers make start-up take ~0.1 s instead of ~1 s.
    '--heartbeat-interval', '10',
    '--election-timeout', '100',
    '--log-level', 'warn',
    '--logger', 'zap',
  ];
  if (options.tls) {
    args.push('--cert-file', options.tls.certFile, '--key-file', options.tls.keyFile);
    if (options.tls.clientCAFile) args.push('--client-cert-auth', '--trusted-ca-file', options.tls.clientCAFile);
  }
  let errText = '';
  let child: ChildProcess;
  // Listen for 'spawn'/'error' before any further await, or the event can be missed.
  const whenSpawned = (c: ChildProcess) =>
    new Promise<void>((resolve, reject) => {
      c.once('spawn', resolve);
      c.once('error', (e) => reject(new Error(`Cannot start etcd (${options.binary ?? 'etcd'}): ${e.message}`, { cause: e })));
    });
  let spawned: Promise<void>;
  if (options.detached) {
    const log = await open(options.detached.logFile, 'a');
    child = spawn(options.binary ?? 'etcd', args, { stdio: ['ignore', log.fd, log.fd], detached: true, cwd });
    spawned = whenSpawned(child);
    await log.close();
    child.unref();
  } else {
    child = spawn(options.binary ?? 'etcd', args, { stdio: ['ignore', 'ignore', 'pipe'], cwd });
    spawned = whenSpawned(child);
    child.stderr?.on('data', (b: Buffer) => {
      errText = (errText + b.toString()).slice(-8000);
    });
  }
  await spawned;
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(timer);
    }
    if (options.removeDataOnStop) await rm(options.dataDir, { recursive: true, force: true });
  };
  try {
    // Health is checked over plain HTTP only; with TLS we wait for the port instead.
    if (options.tls) await waitForPort(clientPort, child, Date.now() + (options.startTimeoutMs ?? 15000), () => errText);
    else await waitHealthy(endpoint, child, Date.now() + (options.startTimeoutMs ?? 15000), () => errText);
  } catch (err) {
    await stop();
    throw err;
  }
  return { endpoint, pid: child.pid!, dataDir: options.dataDir, stop };
}

async function waitForPort(port: number, child: ChildProcess, deadline: number, stderr: () => string): Promise<void> {
  const { connect } = await import('node:net');
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`etcd exited with code ${child.exitCode} during start-up: ${stderr().trim().slice(-2000)}`);
    const ok = await new Promise<boolean>((resolve) => {
      const s = connect(port, '127.0.0.1');
      s.once('connect', () => (s.destroy(), resolve(true)));
      s.once('error', () => resolve(false));
    });
    if (ok) return;
    await delay(20);
  }
  throw new Error(`etcd did not open port ${port}: ${stderr().trim().slice(-2000)}`);
}
