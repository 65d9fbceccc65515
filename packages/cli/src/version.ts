/**
 * The version calicoctl reports and compares with the cluster's
 * `ClusterInformation.spec.calicoVersion`. Percale implements Calico's v3.32
 * resource model, so it presents itself as that Calico release with its own
 * version as a suffix; the mismatch check compares only the part before `-`.
 * @module
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The Calico release whose API and datastore format Percale implements. */
export const CALICO_API_VERSION = 'v3.32.0';

const packageDir = join(dirname(fileURLToPath(import.meta.url)), '..');

function percaleVersion(): string {
  try {
    return (JSON.parse(readFileSync(join(packageDir, 'package.json'), 'utf8')) as { version?: string }).version ?? '0.0.0';
  } catch {
    return '0.0.0';
  }
}

/** `Client Version` as printed by `calicoctl version`, e.g. `v3.32.0-percale.0.1.0`. */
export function clientVersion(): string {
  return `${CALICO_API_VERSION}-percale.${percaleVersion()}`;
}

/** The git commit Percale runs from, or `unknown` outside a checkout. */
export function gitCommit(): string {
  try {
    return execFileSync('git', ['rev-parse', '--short=8', 'HEAD'], { cwd: packageDir, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], timeout: 2000 }).trim() || 'unknown';
  } catch {
    return 'unknown';
  }
}

/** A version with a leading `v` removed and cut at the first `-` (what the mismatch check compares). */
export function comparableVersion(version: string): string {
  return version.replace(/^v/, '').split('-')[0]!;
}
