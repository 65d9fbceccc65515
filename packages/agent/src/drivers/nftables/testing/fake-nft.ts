/**
 * A fake `nft` for unit tests: an `Exec` that interprets the command subset the driver writes
 * (`add`/`flush`/`delete` of tables, chains, rules, sets, maps, elements), keeps a small model
 * of one inet table with nft's referential checks (missing jump targets and sets, deleting
 * referenced objects or missing elements fail the whole transaction), answers
 * `nft -j list table` with JSON shaped like nft 1.0.6's, and records every invocation.
 * @module
 */
import type { Exec, ExecOptions, ExecResult, LineHandlers, LineStream } from '../../../shims/exec.ts';

interface FakeSet {
  type: string[];
  map: string | undefined;
  interval: boolean;
  elements: Map<string, string>;
}

interface FakeChain {
  base: { type: string; hook: string; prio: number; policy: string } | undefined;
  rules: { body: string; comment: string | undefined }[];
}

interface State {
  exists: boolean;
  sets: Map<string, FakeSet>;
  chains: Map<string, FakeChain>;
}

function clone(s: State): State {
  return {
    exists: s.exists,
    sets: new Map([...s.sets].map(([k, v]) => [k, { ...v, type: [...v.type], elements: new Map(v.elements) }])),
    chains: new Map([...s.chains].map(([k, v]) => [k, { base: v.base, rules: v.rules.map((r) => ({ ...r })) }])),
  };
}

class CommandError extends Error {}

/** Splits `a, b, "c, d"` at top-level commas. */
function splitElements(text: string): string[] {
  const out: string[] = [];
  let cur = '';
  let quoted = false;
  for (const ch of text) {
    if (ch === '"') quoted = !quoted;
    if (ch === ',' && !quoted) {
      out.push(cur.trim());
      cur = '';
    } else cur += ch;
  }
  if (cur.trim() !== '') out.push(cur.trim());
  return out;
}

function jsonValue(type: string, text: string): unknown {
  if (type === 'ifname') return text.replace(/^"|"$/g, '');
  if (type === 'inet_proto' || type === 'inet_service') {
    const range = /^(\d+)-(\d+)$/.exec(text);
    return range ? { range: [Number(range[1]), Number(range[2])] } : Number(text);
  }
  if (type === 'verdict') {
    const m = /^(goto|jump) (\S+)$/.exec(text);
    return m ? { [m[1]!]: { target: m[2] } } : { [text]: null };
  }
  const prefix = /^(.+)\/(\d+)$/.exec(text);
  return prefix ? { prefix: { addr: prefix[1], len: Number(prefix[2]) } } : text;
}

function jsonKey(types: readonly string[], key: string): unknown {
  if (types.length === 1) return jsonValue(types[0]!, key);
  return { concat: key.split(' . ').map((part, i) => jsonValue(types[i]!, part)) };
}

/** The fake. `exec` is what the code under test gets. */
export class FakeNft {
  state: State = { exists: false, sets: new Map(), chains: new Map() };
  /** Every `nft -f` input, in order (successful or not). */
  readonly transactions: string[] = [];
  /** Number of `list` invocations. */
  lists = 0;
  /** When set, the next `nft -f` fails with this stderr (and exit 1) without changing anything. */
  failNext: string | undefined;
  #pid = 1000;
  #monitors: LineHandlers[] = [];

  readonly exec: Exec = {
    run: (argv: readonly string[], options?: ExecOptions): Promise<ExecResult> => {
      const pid = ++this.#pid;
      options?.onSpawn?.(pid);
      return Promise.resolve(this.#run(argv, options?.input ?? '', pid));
    },
    streamLines: (_argv: readonly string[], handlers: LineHandlers): LineStream => {
      this.#monitors.push(handlers);
      return { stop: () => { this.#monitors = this.#monitors.filter((h) => h !== handlers); } };
    },
  };

  /** Sends lines to every running `nft monitor`. */
  monitorLines(...lines: string[]): void {
    for (const h of this.#monitors) for (const l of lines) h.onLine(l);
  }

  /** Ends every running `nft monitor` as if it had died. */
  killMonitors(): void {
    const ms = this.#monitors;
    this.#monitors = [];
    for (const h of ms) h.onExit('killed');
  }

  get monitorsRunning(): number {
    return this.#monitors.length;
  }

  /** Applies commands as an outside actor would (e.g. an operator's `nft flush chain`). */
  tamper(commands: string): void {
    const r = this.#transaction(commands, 1);
    if (r.exitCode !== 0) throw new Error(`tamper failed: ${r.stderr}`);
  }

  #run(argv: readonly string[], input: string, pid: number): ExecResult {
    const args = argv.slice(1);
    if (args[0] === '-f' && args[1] === '-') {
      this.transactions.push(input);
      if (this.failNext !== undefined) {
        const stderr = this.failNext;
        this.failNext = undefined;
        return { exitCode: 1, stdout: '', stderr };
      }
      const r = this.#transaction(input, pid);
      return r;
    }
    if (args[0] === '-j' && args[1] === 'list' && args[2] === 'table') {
      this.lists++;
      if (!this.state.exists) return { exitCode: 1, stdout: '', stderr: `Error: No such file or directory\nlist table inet ${args[4]}\n` };
      return { exitCode: 0, stdout: this.listing(args[4]!), stderr: '' };
    }
    return { exitCode: 1, stdout: '', stderr: `fake nft: unsupported ${argv.join(' ')}` };
  }

  #transaction(input: string, pid: number): ExecResult {
    const next = clone(this.state);
    const lines = input.split('\n');
    const errors: string[] = [];
    const run = (lineNo: number, fn: () => void) => {
      try {
        fn();
      } catch (err) {
        if (!(err instanceof CommandError)) throw err;
        errors.push(`/dev/stdin:${lineNo}:1-1: Error: ${err.message}\n${lines[lineNo - 1]}`);
      }
    };
    for (let i = 0; i < lines.length; i++) {
      const line = lines[i]!.trim();
      if (line === '') continue;
      const table = /^table inet (\S+) \{$/.exec(line);
      if (!table) {
        run(i + 1, () => this.#command(next, line));
        continue;
      }
      // Block syntax: like nft, declare sets and chains first, then add the rules.
      const decls: [number, string][] = [];
      const chains: [number, string, string[]][] = [];
      const rules: [number, string, string][] = [];
      let chain: [number, string, string[]] | undefined;
      // The table block ends with "}" in column 0; chain blocks end with an indented "}".
      for (i++; i < lines.length && lines[i] !== '}'; i++) {
        const l = lines[i]!.trim();
        const c = /^chain (\S+) \{$/.exec(l);
        if (c) chains.push((chain = [i + 1, c[1]!, []]));
        else if (l === '}') chain = undefined;
        else if (!chain) decls.push([i + 1, l]);
        else if (/^type \S+ hook /.test(l) || /^comment "/.test(l)) chain[2].push(l);
        else rules.push([i + 1, chain[1], l]);
      }
      run(i + 1, () => this.#command(next, `add table inet ${table[1]}`));
      for (const [n, d] of decls) run(n, () => this.#command(next, `add ${d.replace(/^(set|map) /, `$1 inet ${table[1]} `)}`));
      for (const [n, name, attrs] of chains) {
        const spec = attrs.find((a) => a.startsWith('type '));
        run(n, () => this.#command(next, `add chain inet ${table[1]} ${name}${spec ? ` { ${spec} }` : ''}`));
      }
      for (const [n, name, body] of rules) run(n, () => this.#command(next, `add rule inet ${table[1]} ${name} ${body}`));
    }
    if (errors.length > 0) return { exitCode: 1, stdout: '', stderr: `${errors.join('\n')}\n` };
    this.state = next;
    this.monitorLines(`# new generation ${this.transactions.length} by process ${pid} (nft)`);
    return { exitCode: 0, stdout: '', stderr: '' };
  }

  #refsOk(s: State, body: string): void {
    for (const m of body.matchAll(/\b(?:jump|goto) (\S+)/g)) if (!s.chains.has(m[1]!)) throw new CommandError('Could not process rule: No such file or directory');
    for (const m of body.matchAll(/@([A-Za-z0-9_./-]+)/g)) if (!s.sets.has(m[1]!)) throw new CommandError('Could not process rule: No such file or directory');
  }

  #referenced(s: State, what: 'chain' | 'set', name: string): boolean {
    for (const c of s.chains.values()) {
      for (const r of c.rules) {
        if (what === 'chain' && new RegExp(`\\b(jump|goto) ${name.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}(\\s|$)`).test(r.body)) return true;
        if (what === 'set' && r.body.includes(`@${name}`) && new RegExp(`@${name.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}(\\s|$)`).test(r.body)) return true;
      }
    }
    if (what === 'chain') for (const set of s.sets.values()) for (const v of set.elements.values()) if (v === `goto ${name}` || v === `jump ${name}`) return true;
    return false;
  }

  #command(s: State, line: string): void {
    const TBL = '(?:inet) (\\S+)';
    let m: RegExpExecArray | null;
    if ((m = new RegExp(`^add table ${TBL}$`).exec(line))) {
      s.exists = true;
      return;
    }
    if ((m = new RegExp(`^delete table ${TBL}$`).exec(line))) {
      if (!s.exists) throw new CommandError('Could not process rule: No such file or directory');
      s.exists = false;
      s.sets.clear();
      s.chains.clear();
      return;
    }
    if (!s.exists) throw new CommandError('Could not process rule: No such file or directory');
    if ((m = new RegExp(`^add (set|map) ${TBL} (\\S+) \\{ type ([^;]+);( flags interval;)?(?: comment "[^"]*";)? \\}$`).exec(line))) {
      const [, kind, , name, typeText, interval] = m;
      const [keyPart, mapPart] = typeText!.split(' : ');
      const spec = { type: keyPart!.split(' . '), map: kind === 'map' ? mapPart : undefined, interval: Boolean(interval) };
      const have = s.sets.get(name!);
      if (have) {
        if (have.type.join() !== spec.type.join() || have.map !== spec.map || have.interval !== spec.interval) throw new CommandError('Could not process rule: File exists');
        return;
      }
      s.sets.set(name!, { ...spec, elements: new Map() });
      return;
    }
    if ((m = new RegExp(`^delete (set|map) ${TBL} (\\S+)$`).exec(line))) {
      if (!s.sets.has(m[3]!)) throw new CommandError('Could not process rule: No such file or directory');
      if (this.#referenced(s, 'set', m[3]!)) throw new CommandError('Could not process rule: Device or resource busy');
      s.sets.delete(m[3]!);
      return;
    }
    if ((m = new RegExp(`^(add|delete) element ${TBL} (\\S+) \\{ (.*) \\}$`).exec(line))) {
      const set = s.sets.get(m[3]!);
      if (!set) throw new CommandError('Could not process rule: No such file or directory');
      for (const el of splitElements(m[4]!)) {
        const [k, v] = set.map !== undefined && m[1] === 'add' ? (el.split(' : ') as [string, string]) : [el, ''];
        if (m[1] === 'delete') {
          if (!set.elements.delete(k)) throw new CommandError('Could not process rule: No such file or directory');
          continue;
        }
        const have = set.elements.get(k);
        if (have !== undefined && have !== v) throw new CommandError('Could not process rule: File exists');
        if (set.map === 'verdict') this.#refsOk(s, v);
        set.elements.set(k, v);
      }
      return;
    }
    if ((m = new RegExp(`^add chain ${TBL} (\\S+)(?: \\{ (.*) \\})?$`).exec(line))) {
      const name = m[2]!;
      const spec = m[3] ? /type (\S+) hook (\S+) priority (-?\d+); policy (\S+);/.exec(m[3]) : null;
      const base = spec ? { type: spec[1]!, hook: spec[2]!, prio: Number(spec[3]), policy: spec[4]! } : undefined;
      if (!s.chains.has(name)) s.chains.set(name, { base, rules: [] });
      return;
    }
    if ((m = new RegExp(`^flush chain ${TBL} (\\S+)$`).exec(line))) {
      const c = s.chains.get(m[2]!);
      if (!c) throw new CommandError('Could not process rule: No such file or directory');
      c.rules = [];
      return;
    }
    if ((m = new RegExp(`^delete chain ${TBL} (\\S+)$`).exec(line))) {
      if (!s.chains.has(m[2]!)) throw new CommandError('Could not process rule: No such file or directory');
      const rules = s.chains.get(m[2]!)!.rules;
      s.chains.get(m[2]!)!.rules = [];
      if (this.#referenced(s, 'chain', m[2]!)) {
        s.chains.get(m[2]!)!.rules = rules;
        throw new CommandError('Could not process rule: Device or resource busy');
      }
      s.chains.delete(m[2]!);
      return;
    }
    if ((m = new RegExp(`^add rule ${TBL} (\\S+) (.*?)(?: comment "([^"]*)")?$`).exec(line))) {
      const c = s.chains.get(m[2]!);
      if (!c) throw new CommandError('Could not process rule: No such file or directory');
      if (/syntax-error/.test(m[3]!)) throw new CommandError('syntax error, unexpected string');
      this.#refsOk(s, m[3]!);
      c.rules.push({ body: m[3]!, comment: m[4] });
      return;
    }
    throw new CommandError(`fake nft cannot parse: ${line}`);
  }

  /** `nft -j list table inet <name>` output for the current state. */
  listing(name: string): string {
    const items: unknown[] = [{ metainfo: { version: '1.0.6', release_name: 'Lester Gooch #5', json_schema_version: 1 } }, { table: { family: 'inet', name, handle: 1 } }];
    let handle = 2;
    // nft 1.0.6 lists sets, then maps, then chains, then rules.
    for (const kind of ['set', 'map'] as const) {
      for (const [setName, set] of this.state.sets) {
        if ((set.map !== undefined) !== (kind === 'map')) continue;
        const o: Record<string, unknown> = { family: 'inet', name: setName, table: name, type: set.type.length === 1 ? set.type[0] : set.type, handle: handle++ };
        if (set.map !== undefined) o.map = set.map;
        if (set.interval) o.flags = ['interval'];
        if (set.elements.size > 0) {
          o.elem = [...set.elements].map(([k, v]) => (set.map !== undefined ? [jsonKey(set.type, k), jsonValue(set.map, v)] : jsonKey(set.type, k)));
        }
        items.push({ [kind]: o });
      }
    }
    for (const [chainName, c] of this.state.chains) {
      const o: Record<string, unknown> = { family: 'inet', table: name, name: chainName, handle: handle++ };
      if (c.base) Object.assign(o, c.base);
      items.push({ chain: o });
    }
    for (const [chainName, c] of this.state.chains) {
      for (const r of c.rules) {
        items.push({ rule: { family: 'inet', table: name, chain: chainName, handle: handle++, ...(r.comment !== undefined ? { comment: r.comment } : {}), expr: [] } });
      }
    }
    return JSON.stringify({ nftables: items });
  }
}
