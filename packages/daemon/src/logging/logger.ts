/**
 * The one logger of Percale's daemons: Felix's text format (`2018-03-30 14:23:24.530 [INFO][3635]
 * file.ts 12: message key=value`, the file and line left out) on stderr and, for the agent, in
 * LogFilePath, each destination with its own severity (LogSeverityScreen, LogSeverityFile).
 * Structurally it is every logging seam the daemons' parts take (the agent's `DriverLog`, …).
 * @module
 */
import { appendFileSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';

/** A leveled, structured logger. */
export interface Logger {
  debug(msg: string, fields?: Record<string, unknown>): void;
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
}

/** Felix's severities, lowest first; '' turns a destination off. */
export type Severity = 'TRACE' | 'DEBUG' | 'INFO' | 'WARNING' | 'ERROR' | 'FATAL' | '';

const RANK: Record<Exclude<Severity, ''>, number> = { TRACE: 0, DEBUG: 1, INFO: 2, WARNING: 3, ERROR: 4, FATAL: 5 };
const LEVEL_OF = { debug: 'DEBUG', info: 'INFO', warn: 'WARNING', error: 'ERROR' } as const;

/** Where a logger writes, and from which severity on. */
export interface LoggerOptions {
  screenSeverity: Severity;
  /** Default '': no file. */
  fileSeverity?: Severity;
  /** Default '': no file. */
  filePath?: string;
  /** Where screen lines go (default stderr). */
  writeScreen?: (line: string) => void;
  now?: () => Date;
}

const quote = (v: string) => (/^[\w./:@%,=+-]*$/.test(v) && v !== '' ? v : JSON.stringify(v));

function timestamp(d: Date): string {
  const p = (n: number, w = 2) => String(n).padStart(w, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}.${p(d.getMilliseconds(), 3)}`;
}

/** Formats one line as Felix does, fields sorted by name; a field whose value is undefined is left out. */
export function formatLogLine(level: string, msg: string, fields: Record<string, unknown>, at: Date, pid = process.pid): string {
  const extra = Object.keys(fields)
    .sort()
    .filter((k) => fields[k] !== undefined)
    .map((k) => {
      const v = fields[k];
      return ` ${k}=${quote(v instanceof Error ? v.message : typeof v === 'string' ? v : JSON.stringify(v) ?? String(v))}`;
    })
    .join('');
  return `${timestamp(at)} [${level}][${pid}] ${msg}${extra}\n`;
}

/**
 * Parses a severity as operators write it for a daemon (`debug`, `Info`, `warning` or `warn`,
 * `error`: the levels a Logger writes).
 * @returns undefined for anything else.
 */
export function parseSeverity(text: string): Severity | undefined {
  const t = text.trim().toUpperCase();
  if (t === 'WARN') return 'WARNING';
  return t === 'DEBUG' || t === 'INFO' || t === 'WARNING' || t === 'ERROR' ? t : undefined;
}

/** Creates a logger. A log file that cannot be written is reported once on screen, then skipped. */
export function createLogger(options: LoggerOptions): Logger {
  const writeScreen = options.writeScreen ?? ((line: string) => process.stderr.write(line));
  const now = options.now ?? (() => new Date());
  const filePath = options.filePath ?? '';
  const fileSeverity = options.fileSeverity ?? '';
  const screenRank = options.screenSeverity === '' ? Infinity : RANK[options.screenSeverity];
  const fileRank = fileSeverity === '' || filePath === '' ? Infinity : RANK[fileSeverity];
  let fileBroken = false;
  if (fileRank !== Infinity) {
    try {
      mkdirSync(dirname(filePath), { recursive: true });
    } catch {
      // appendFileSync below reports the problem.
    }
  }
  const log = (method: keyof typeof LEVEL_OF, msg: string, fields: Record<string, unknown> = {}) => {
    const level = LEVEL_OF[method];
    const rank = RANK[level];
    if (rank < screenRank && (rank < fileRank || fileBroken)) return;
    const line = formatLogLine(level, msg, fields, now());
    if (rank >= screenRank) writeScreen(line);
    if (rank >= fileRank && !fileBroken) {
      try {
        appendFileSync(filePath, line);
      } catch (err) {
        fileBroken = true;
        writeScreen(formatLogLine('ERROR', 'Cannot write the log file; file logging is off', { path: filePath, error: err }, now()));
      }
    }
  };
  return {
    debug: (msg, fields) => log('debug', msg, fields),
    info: (msg, fields) => log('info', msg, fields),
    warn: (msg, fields) => log('warn', msg, fields),
    error: (msg, fields) => log('error', msg, fields),
  };
}

/** Discards everything. */
export const SILENT_LOGGER: Logger = { debug() {}, info() {}, warn() {}, error() {} };
