/**
 * `BirdControl`: BIRD 2's control-socket protocol spoken directly (what `birdc` does), one
 * connection per command. BIRD greets with `0001 … ready.`; each reply is a run of lines
 * `DDDD-text` (more follows), ` text` (continues the previous code) and ends with a line
 * `DDDD text`. Codes 0xxx are success, 8xxx run-time errors, 9xxx parse errors.
 *
 * `percale bgp` reloads and watches its BIRD with it; `calicoctl node status` reads the
 * sessions through `requestText`, so both find BIRD on `DEFAULT_BIRD_SOCKET` by default.
 * @module
 */
import { connect } from 'node:net';

/** Where `percale bgp`'s BIRD listens by default (calicoctl node status reads it too). */
export const DEFAULT_BIRD_SOCKET = '/var/run/percale/bird.ctl';

/** One line of a reply: its numeric code (that of the line it continues, for ` text` lines) and text. */
export interface BirdReplyLine {
  code: number;
  text: string;
}

/** A whole reply to one command. */
export interface BirdReply {
  /** The code of the final line. */
  code: number;
  lines: BirdReplyLine[];
}

/** One row of `show protocols`. */
export interface BirdProtocol {
  name: string;
  proto: string;
  table: string;
  state: string;
  since: string;
  info: string;
}

/** BIRD answered a command with an error code (8xxx/9xxx). */
export class BirdCommandError extends Error {
  readonly code = 'BIRD_COMMAND_FAILED';
  readonly replyCode: number;
  readonly command: string;
  constructor(command: string, reply: BirdReply) {
    const detail = reply.lines.filter((l) => l.code >= 8000).map((l) => l.text).join('; ') || reply.lines.at(-1)?.text || '';
    super(`BIRD rejected "${command}": ${detail}`);
    this.name = 'BirdCommandError';
    this.replyCode = reply.code;
    this.command = command;
  }
}

/** The control socket could not be reached or the conversation broke off. */
export class BirdUnreachableError extends Error {
  readonly code = 'BIRD_UNREACHABLE';
  readonly socketPath: string;
  constructor(socketPath: string, reason: string, options?: ErrorOptions) {
    super(`Cannot talk to BIRD on "${socketPath}": ${reason}`, options);
    this.name = 'BirdUnreachableError';
    this.socketPath = socketPath;
  }
}

/** Reply codes of a successful `configure` (reconfigured, in progress, queued behind another). */
const CONFIGURE_OK = new Set([3, 4, 5]);

/**
 * Splits a reply into lines; `done` tells whether the last line ended it. Exported for tests
 * of the framing, which is where BIRD's protocol has its corner cases.
 */
export function parseBirdReply(text: string): { lines: BirdReplyLine[]; done: boolean } {
  const lines: BirdReplyLine[] = [];
  let done = false;
  let code = 0;
  for (const raw of text.split('\n')) {
    if (raw === '') continue;
    const m = /^(\d{4})([ -])(.*)$/.exec(raw);
    if (m) {
      code = Number(m[1]);
      lines.push({ code, text: m[3]! });
      done = m[2] === ' ';
    } else {
      // "+" lines are asynchronous notices; " text" continues the previous code.
      lines.push({ code, text: raw.startsWith(' ') ? raw.slice(1) : raw });
      done = false;
    }
  }
  return { lines, done };
}

/** Parses the rows of a `show protocols` reply (code 1002, header 2002). */
export function parseShowProtocols(reply: BirdReply): BirdProtocol[] {
  const out: BirdProtocol[] = [];
  for (const line of reply.lines) {
    if (line.code !== 1002) continue;
    // Columns are space-separated; Since is "date time" or "time", Info is the rest.
    const m = /^(\S+)\s+(\S+)\s+(\S+)\s+(\S+)\s+(\d{4}-\d\d-\d\d \S+|\S+)\s*(.*)$/.exec(line.text);
    if (!m) continue;
    out.push({ name: m[1]!, proto: m[2]!, table: m[3]!, state: m[4]!, since: m[5]!, info: m[6]!.trim() });
  }
  return out;
}

/** Talks to one BIRD over its unix control socket. */
export class BirdControl {
  readonly socketPath: string;
  readonly #timeoutMs: number;

  constructor(socketPath: string = DEFAULT_BIRD_SOCKET, options: { timeoutMs?: number } = {}) {
    this.socketPath = socketPath;
    this.#timeoutMs = options.timeoutMs ?? 10_000;
  }

  /**
   * Sends one command and returns the whole reply, whatever its code.
   * @throws {BirdUnreachableError} when the socket cannot be used or BIRD does not answer in time.
   */
  async request(command: string): Promise<BirdReply> {
    const { lines } = parseBirdReply(await this.requestText(command));
    return { code: lines.at(-1)!.code, lines };
  }

  /**
   * Sends one command and returns the reply as BIRD sent it (whole lines, greeting removed),
   * for callers that parse the framing themselves.
   * @throws {BirdUnreachableError} when the socket cannot be used or BIRD does not answer in time.
   */
  requestText(command: string): Promise<string> {
    return new Promise((resolve, reject) => {
      const socket = connect(this.socketPath);
      let buffer = '';
      let greeted = false;
      let settled = false;
      const finish = (err: Error | undefined, text?: string) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        socket.destroy();
        if (err) reject(err);
        else resolve(text!);
      };
      const timer = setTimeout(() => finish(new BirdUnreachableError(this.socketPath, `no complete reply to "${command}" within ${this.#timeoutMs} ms`)), this.#timeoutMs);
      socket.setEncoding('utf8');
      socket.on('error', (err) => finish(new BirdUnreachableError(this.socketPath, err.message, { cause: err })));
      socket.on('close', () => finish(new BirdUnreachableError(this.socketPath, `connection closed before the reply to "${command}" ended`)));
      socket.on('data', (chunk: string) => {
        buffer += chunk;
        // Only whole lines are parsed; a reply may arrive in several chunks.
        const end = buffer.lastIndexOf('\n');
        if (end < 0) return;
        if (!greeted) {
          const first = buffer.indexOf('\n');
          const hello = buffer.slice(0, first);
          if (!hello.startsWith('0001 ')) {
            finish(new BirdUnreachableError(this.socketPath, `unexpected greeting ${JSON.stringify(hello)}`));
            return;
          }
          greeted = true;
          buffer = buffer.slice(first + 1);
          socket.write(`${command}\n`);
          if (buffer.lastIndexOf('\n') < 0) return;
        }
        const whole = buffer.slice(0, buffer.lastIndexOf('\n') + 1);
        if (parseBirdReply(whole).done) finish(undefined, whole);
      });
    });
  }

  /**
   * `configure`: BIRD re-reads its configuration file. Resolves with BIRD's words on success
   * (0003/0004/0005).
   * @throws {BirdCommandError} with BIRD's message when it rejects the file (it keeps running the old one).
   */
  async configure(): Promise<string> {
    const reply = await this.request('configure');
    if (!CONFIGURE_OK.has(reply.code)) throw new BirdCommandError('configure', reply);
    return reply.lines.at(-1)!.text;
  }

  /** `show protocols`: every protocol with its state. */
  async showProtocols(): Promise<BirdProtocol[]> {
    const reply = await this.request('show protocols');
    if (reply.code >= 8000) throw new BirdCommandError('show protocols', reply);
    return parseShowProtocols(reply);
  }

  /** True when BIRD answers on the socket. */
  async alive(): Promise<boolean> {
    try {
      await this.request('show status');
      return true;
    } catch {
      return false;
    }
  }
}
