/**
 * `percale demo`: Percale's main job on one machine. Starts the local datastore,
 * loads the two-region example with calicoctl and shows it, as an operator would
 * type it.
 * @module
 */
import { spawnSync } from 'node:child_process';
import { join, resolve } from 'node:path';
import { startLocalDatastore } from './local-datastore.ts';

const repoRoot = resolve(import.meta.dirname, '../../../..');

/** Where `percale demo` and `percale datastore` keep the local etcd unless told otherwise. */
export const DEFAULT_STATE_DIR = '.state';

export interface DemoOptions {
  stateDir: string;
  port: number;
  /** Folder of YAML files to load (default: examples/two-region). */
  examples?: string;
}

/** Runs the demo, printing a transcript; returns the exit code. */
export async function runDemo(options: DemoOptions, out: (s: string) => void): Promise<number> {
  const ds = await startLocalDatastore({ stateDir: options.stateDir, port: options.port });
  out(`Local datastore: etcd at ${ds.endpoint} (pid ${ds.pid}, data in ${ds.dataDir})\n\n`);
  const examples = options.examples ?? join(repoRoot, 'examples/two-region');
  const env = { ...process.env, ETCD_ENDPOINTS: ds.endpoint, DATASTORE_TYPE: 'etcdv3' };
  const calicoctl = join(repoRoot, 'node_modules/.bin/calicoctl');
  const steps: string[][] = [
    ['apply', '-f', examples],
    ['get', 'ippools', '-o', 'wide'],
    ['get', 'globalnetworkpolicies', '-o', 'wide'],
    ['get', 'networkpolicies', '--all-namespaces', '-o', 'wide'],
    ['get', 'workloadendpoints', '--all-namespaces', '-o', 'wide'],
    ['get', 'globalnetworkpolicy', 'allow-tcp-80', '-o', 'yaml'],
  ];
  for (const args of steps) {
    out(`$ calicoctl ${args.map((a) => (a === examples ? relativeToCwd(a) : a)).join(' ')}\n`);
    const r = spawnSync(calicoctl, args, { env, encoding: 'utf8' });
    out(r.stdout);
    if (r.stderr) out(r.stderr);
    if (r.status !== 0) return r.status ?? 1;
    out('\n');
  }
  const stateFlag = options.stateDir === DEFAULT_STATE_DIR ? '' : ` --state-dir ${options.stateDir}`;
  out(`The datastore keeps running. Try:\n  export ETCD_ENDPOINTS=${ds.endpoint}\n  npx calicoctl get workloadendpoints -A -o yaml\nStop it with: npx percale datastore stop${stateFlag}\n`);
  return 0;
}

function relativeToCwd(p: string): string {
  const rel = p.startsWith(process.cwd() + '/') ? p.slice(process.cwd().length + 1) : p;
  return rel.endsWith('/') ? rel : `${rel}/`;
}
