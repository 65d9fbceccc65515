/**
 * `calicoctl node status`: whether Percale runs on this host and the state of its BGP sessions,
 * read from the local BIRD 2 over its control socket and printed in Calico's layout (one table
 * per IP family). Percale runs one BIRD for both families; the peer type comes from the
 * protocol name the renderer gives each session (`Mesh_`, `Global_`, `Node_`).
 * @module
 */
import { readdirSync, readFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { BirdControl, BirdUnreachableError, DEFAULT_BIRD_SOCKET } from '@percale/daemon';
import { CommandFailedError, messageOf } from '../errors.ts';
import type { CommandContext } from './context.ts';

/** Where `percale bgp`'s BIRD listens unless told otherwise (shared with it through @percale/daemon). */
export { DEFAULT_BIRD_SOCKET };

/** Environment variable naming another control socket (the `--bird-socket` flag wins). */
export const BIRD_SOCKET_ENV = 'PERCALE_BIRD_SOCKET';

// Calico gives BIRD 2 s to answer.
const BIRD_TIMEOUT_MS = 2000;

export interface NodeStatusFlags {
  readonly birdSocket?: string | undefined;
}

/** The side effects of `node status`, replaceable in tests. */
export interface NodeStatusDeps {
  /** Sends one command to BIRD's control socket and returns the reply after the greeting. */
  readonly queryBird: (socketPath: string, command: string) => Promise<string>;
  /** Whether a Percale agent or BGP daemon runs on this host. */
  readonly percaleRunning: (socketPath: string) => boolean;
  readonly now: () => Date;
}

/** One row of BIRD's `show protocols [all]`, with the neighbour address when BIRD gave it. */
export interface BirdProtocolRow {
  readonly name: string;
  readonly proto: string;
  readonly table: string;
  readonly state: string;
  readonly since: string;
  readonly info: string;
  readonly neighborAddress?: string;
}

/** A BGP session as `node status` prints it. */
export interface BgpPeerStatus {
  readonly family: 4 | 6;
  readonly peerAddress: string;
  readonly peerType: string;
  readonly state: string;
  readonly since: string;
  readonly info: string;
}

const PEER_TYPES: Record<string, string> = { Mesh: 'node-to-node mesh', Global: 'global', Node: 'node specific' };
const HEADINGS = ['name', 'proto', 'table', 'state', 'since', 'info'];

/**
 * Parses a `show protocols` or `show protocols all` reply: `1002` lines (or their ` `
 * continuations) are protocol rows, `1006` lines the details of the row above.
 * @throws {Error} when the table has headings other than BIRD's six, or a line BIRD never sends
 */
export function parseBirdProtocols(reply: string): BirdProtocolRow[] {
  const rows: { row: BirdProtocolRow; neighbor?: string }[] = [];
  let code = '';
  for (const raw of reply.split('\n')) {
    if (raw === '') continue;
    const m = /^(\d{4})([ -])(.*)$/.exec(raw);
    let text: string;
    if (m) {
      code = m[1]!;
      text = m[3]!;
    } else if (raw.startsWith(' ')) {
      text = raw.slice(1);
    } else {
      throw new Error(`unexpected output line from BIRD: ${JSON.stringify(raw)}`);
    }
    if (code === '0000') break;
    if (code === '2002') {
      if (text.trim().split(/\s+/).map((h) => h.toLowerCase()).join(' ') !== HEADINGS.join(' ')) {
        throw new Error('unknown BIRD table output format');
      }
    } else if (code === '1002') {
      const row = parseRow(text);
      if (row) rows.push({ row });
    } else if (code === '1006' && rows.length) {
      const n = /^\s*Neighbor address:\s+(\S+)/.exec(text);
      if (n) rows[rows.length - 1]!.neighbor = n[1]!;
    } else if (/^[89]/.test(code)) {
      throw new Error(`BIRD refused the command: ${text}`);
    }
  }
  return rows.map(({ row, neighbor }) => (neighbor ? { ...row, neighborAddress: neighbor } : row));
}

/** Splits a row: four single-word columns, Since (`time`, `date` or `date time`), then Info. */
function parseRow(text: string): BirdProtocolRow | undefined {
  const words = text.trim().split(/\s+/);
  if (words.length < 5) return undefined;
  const [name, proto, table, state] = words as [string, string, string, string];
  let since = words[4]!;
  let rest = 5;
  if (/^\d{4}-\d\d-\d\d$/.test(since) && words[5] !== undefined && /^\d\d:\d\d/.test(words[5])) {
    since = `${since} ${words[5]}`;
    rest = 6;
  }
  return { name, proto, table, state, since, info: words.slice(rest).join(' ') };
}

/** Decodes a protocol name's address part (`10_0_0_12`, `fd00__12`, `…_port_1790`). */
function addressFromName(encoded: string): string {
  const bare = encoded.replace(/_port_\d+$/, '');
  return bare.replaceAll('_', /^\d{1,3}(_\d{1,3}){3}$/.test(bare) ? '.' : ':');
}

/**
 * BIRD's Since as BIRD 1 and so Calico showed it: the time of day for a change today, the
 * date for an older one. BIRD 2 prints `HH:MM:SS.mmm` or a date by default, and
 * `YYYY-MM-DD HH:MM:SS` with `timeformat protocol iso long`.
 */
export function formatSince(since: string, now: Date): string {
  const m = /^(?:(\d{4}-\d\d-\d\d) )?(\d\d:\d\d:\d\d)(?:\.\d+)?$/.exec(since);
  if (!m) return since;
  if (!m[1]) return m[2]!;
  const today = `${now.getFullYear()}-${String(now.getMonth() + 1).padStart(2, '0')}-${String(now.getDate()).padStart(2, '0')}`;
  return m[1] === today ? m[2]! : m[1];
}

/** The BGP sessions among BIRD's protocols that Percale (or Calico) named, in BIRD's order. */
export function bgpPeers(rows: readonly BirdProtocolRow[], now: Date): BgpPeerStatus[] {
  const out: BgpPeerStatus[] = [];
  for (const row of rows) {
    if (row.proto !== 'BGP') continue;
    const m = /^(Global|Node|Mesh)_(.+)$/.exec(row.name);
    if (!m) continue;
    const address = row.neighborAddress ?? addressFromName(m[2]!);
    out.push({
      family: address.includes(':') ? 6 : 4,
      peerAddress: address,
      peerType: PEER_TYPES[m[1]!]!,
      state: row.state,
      since: formatSince(row.since, now),
      info: row.info,
    });
  }
  return out;
}

/** A cell as Go's tablewriter aligns it by default: numbers right, everything else left. */
function alignCell(text: string, width: number): string {
  return /^-?\d+\.?\d*$/.test(text) ? text.padStart(width) : text.padEnd(width);
}

/** Centres a heading as tablewriter does (the odd space goes to the right). */
function centre(text: string, width: number): string {
  const left = Math.floor((width - text.length) / 2);
  return `${' '.repeat(left)}${text}${' '.repeat(width - text.length - left)}`;
}

/** The peers as Calico prints them: a boxed table with centred upper-case headings. */
export function formatPeerTable(peers: readonly BgpPeerStatus[]): string {
  const headings = ['PEER ADDRESS', 'PEER TYPE', 'STATE', 'SINCE', 'INFO'];
  const rows = peers.map((p) => [p.peerAddress, p.peerType, p.state, p.since, p.info]);
  const widths = headings.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const border = `+${widths.map((w) => '-'.repeat(w + 2)).join('+')}+\n`;
  const line = (cells: string[]) => `| ${cells.join(' | ')} |\n`;
  return border
    + line(headings.map((h, i) => centre(h, widths[i]!)))
    + border
    + rows.map((r) => line(r.map((c, i) => alignCell(c, widths[i]!)))).join('')
    + border;
}

/**
 * Runs `calicoctl node status`. The socket is `--bird-socket`, else `$PERCALE_BIRD_SOCKET`,
 * else /var/run/percale/bird.ctl.
 * @throws {CommandFailedError} when Percale does not run here or BIRD cannot be queried
 */
export async function runNodeStatus(ctx: CommandContext, flags: NodeStatusFlags, overrides: Partial<NodeStatusDeps> = {}): Promise<void> {
  const deps: NodeStatusDeps = { ...systemDeps, ...overrides };
  const env = ctx.io.env ?? process.env;
  const socketPath = flags.birdSocket || env[BIRD_SOCKET_ENV] || DEFAULT_BIRD_SOCKET;
  if (!deps.percaleRunning(socketPath)) throw new CommandFailedError('Calico process is not running.');
  ctx.io.stdout('Calico process is running.\n');

  let reply: string;
  try {
    reply = await deps.queryBird(socketPath, 'show protocols all');
  } catch (err) {
    // Calico prints this under the family's heading; one BIRD serves both families here.
    ctx.io.stdout('\nIPv4 BGP status\n');
    throw new CommandFailedError(`Error querying BIRD: unable to connect to BIRD socket: ${messageOf(err)}`, { stream: 'stdout', cause: err });
  }
  let rows: BirdProtocolRow[];
  try {
    rows = parseBirdProtocols(reply);
  } catch (err) {
    throw new CommandFailedError(`Error executing command: ${messageOf(err)}`, { cause: err });
  }
  const peers = bgpPeers(rows, deps.now());
  for (const family of [4, 6] as const) {
    const mine = peers.filter((p) => p.family === family);
    ctx.io.stdout(`\nIPv${family} BGP status\n`);
    ctx.io.stdout(mine.length ? formatPeerTable(mine) : `No IPv${family} peers found.\n`);
  }
  ctx.io.stdout('\n');
}

/** One command to BIRD over its control socket; the reply as BIRD sent it. */
async function queryBirdSocket(socketPath: string, command: string): Promise<string> {
  try {
    return await new BirdControl(socketPath, { timeoutMs: BIRD_TIMEOUT_MS }).requestText(command);
  } catch (err) {
    // Calico's message names the socket already: keep the system's own reason (connect ENOENT …).
    throw err instanceof BirdUnreachableError && err.cause instanceof Error ? err.cause : err;
  }
}

function processExists(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: it exists but belongs to someone else.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Script paths of the Percale daemons that make a host a "Calico node". */
const DAEMON_SCRIPTS = ['packages/agent/src/main.ts', 'packages/bgp/src/main.ts'];

/**
 * True when the BGP daemon's status file (next to the socket) names a live process, or a
 * Percale agent or BGP daemon process exists (`percale agent|bgp`, or their main scripts).
 */
function percaleProcessRunning(socketPath: string): boolean {
  try {
    const status = JSON.parse(readFileSync(join(dirname(socketPath), 'bgp-status.json'), 'utf8')) as { pid?: unknown };
    if (typeof status.pid === 'number' && status.pid > 0 && processExists(status.pid)) return true;
  } catch {
    // No readable status file: look at the process table.
  }
  let pids: string[];
  try {
    pids = readdirSync('/proc').filter((p) => /^\d+$/.test(p));
  } catch {
    return false;
  }
  for (const pid of pids) {
    let argv: string[];
    try {
      argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
    } catch {
      continue;
    }
    if (argv.some((a) => DAEMON_SCRIPTS.some((s) => a.endsWith(s)))) return true;
    const launcher = argv.findIndex((a) => basename(a) === 'percale');
    if (launcher >= 0 && (argv[launcher + 1] === 'agent' || argv[launcher + 1] === 'bgp')) return true;
  }
  return false;
}

const systemDeps: NodeStatusDeps = { queryBird: queryBirdSocket, percaleRunning: percaleProcessRunning, now: () => new Date() };
