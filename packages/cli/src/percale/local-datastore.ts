/**
 * A local etcd for Percale on one machine, kept running between commands:
 * `percale datastore start|stop|status` and the demo use it. State (data, pid,
 * log) lives under one folder; only loopback is listened on.
 * @module
 */
import { readFile, writeFile, rm, mkdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { startLocalEtcd } from '@percale/datastore';

export interface LocalDatastoreOptions {
  /** Folder for etcd's data, pid file and log. */
  stateDir: string;
  /** Client port on 127.0.0.1. */
  port: number;
}

export interface LocalDatastoreStatus {
  running: boolean;
  endpoint?: string;
  pid?: number;
  dataDir: string;
}

interface PidRecord {
  pid: number;
  endpoint: string;
  dataDir: string;
}

const paths = (stateDir: string) => {
  const dir = resolve(stateDir);
  return { dir, data: join(dir, 'etcd'), pidFile: join(dir, 'etcd.json'), log: join(dir, 'etcd.log') };
};

/** True when `pid` is alive and is the etcd we started on this data folder (never another process). */
async function isOurEtcd(rec: PidRecord): Promise<boolean> {
  try {
    const cmdline = (await readFile(`/proc/${rec.pid}/cmdline`, 'utf8')).split('\0');
    return cmdline.some((a) => a.endsWith('etcd')) && cmdline.includes(rec.dataDir);
  } catch {
    return false;
  }
}

async function healthy(endpoint: string): Promise<boolean> {
  try {
    const res = await fetch(`${endpoint}/health`, { signal: AbortSignal.timeout(1000) });
    return ((await res.json()) as { health?: string }).health === 'true';
  } catch {
    return false;
  }
}

async function readRecord(pidFile: string): Promise<PidRecord | undefined> {
  try {
    return JSON.parse(await readFile(pidFile, 'utf8')) as PidRecord;
  } catch {
    return undefined;
  }
}

/** Reports whether the local datastore for `stateDir` is running. */
export async function localDatastoreStatus(stateDir: string): Promise<LocalDatastoreStatus> {
  const p = paths(stateDir);
  const rec = await readRecord(p.pidFile);
  if (rec && (await isOurEtcd(rec)) && (await healthy(rec.endpoint))) {
    return { running: true, endpoint: rec.endpoint, pid: rec.pid, dataDir: p.data };
  }
  return { running: false, dataDir: p.data };
}

/** Starts the local datastore unless it already runs; returns its endpoint. */
export async function startLocalDatastore(options: LocalDatastoreOptions): Promise<LocalDatastoreStatus> {
  const current = await localDatastoreStatus(options.stateDir);
  if (current.running) return current;
  const p = paths(options.stateDir);
  await mkdir(p.dir, { recursive: true });
  if (!(await portFree(options.port))) {
    throw new Error(`Cannot start the local datastore: port ${options.port} on 127.0.0.1 is in use (choose another with --port)`);
  }
  const etcd = await startLocalEtcd({ dataDir: p.data, clientPort: options.port, detached: { logFile: p.log } });
  const rec: PidRecord = { pid: etcd.pid, endpoint: etcd.endpoint, dataDir: p.data };
  await writeFile(p.pidFile, JSON.stringify(rec) + '\n');
  return { running: true, endpoint: etcd.endpoint, pid: etcd.pid, dataDir: p.data };
}

/** Stops the local datastore started for `stateDir`; its data stays. */
export async function stopLocalDatastore(stateDir: string): Promise<boolean> {
  const p = paths(stateDir);
  const rec = await readRecord(p.pidFile);
  if (!rec || !(await isOurEtcd(rec))) {
    await rm(p.pidFile, { force: true });
    return false;
  }
  process.kill(rec.pid, 'SIGTERM');
  for (let i = 0; i < 100 && (await isOurEtcd(rec)); i++) await new Promise((r) => setTimeout(r, 50));
  if (await isOurEtcd(rec)) process.kill(rec.pid, 'SIGKILL');
  await rm(p.pidFile, { force: true });
  return true;
}

async function portFree(port: number): Promise<boolean> {
  const { createServer } = await import('node:net');
  return new Promise((resolveFree) => {
    const srv = createServer();
    srv.once('error', () => resolveFree(false));
    srv.listen(port, '127.0.0.1', () => srv.close(() => resolveFree(true)));
  });
}
