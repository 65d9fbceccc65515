/**
 * One `nft -f` transaction under construction: command lines, each tagged with the object it
 * serves (`chain:<name>`, `set:<name>`, …), so an error nft reports against a line number can
 * be traced back to the chain or set that caused it.
 * @module
 */

/** What a command line is for, for error attribution (`rule:` marks a rule line of a chain). */
export type Owner = `table` | `chain:${string}` | `rule:${string}` | `set:${string}`;

/** nft reports errors as `/dev/stdin:<line>:<col>…: Error: <message>`. */
const ERROR_LINE = /^\/dev\/stdin:(\d+):[\d-]+: Error: (.*)$/;

/** An error nft reported, traced to the owner of the failing line when possible. */
export interface AttributedError {
  owner: Owner | undefined;
  line: number;
  message: string;
  command: string;
}

/** Accumulates command lines for one atomic transaction. */
export class Transaction {
  readonly #lines: string[] = [];
  readonly #owners: Owner[] = [];

  /** Appends one command (or one line of a block). */
  add(command: string, owner: Owner): void {
    this.#lines.push(command);
    this.#owners.push(owner);
  }

  /** Appends the lines of another transaction (a block built aside). */
  append(other: Transaction): void {
    for (let i = 0; i < other.#lines.length; i++) {
      this.#lines.push(other.#lines[i]!);
      this.#owners.push(other.#owners[i]!);
    }
  }

  /** Number of commands. */
  get size(): number {
    return this.#lines.length;
  }

  /** The `nft -f` input. */
  text(): string {
    return this.#lines.length === 0 ? '' : `${this.#lines.join('\n')}\n`;
  }

  /** The commands, for tests and logs. */
  get lines(): readonly string[] {
    return this.#lines;
  }

  /** Parses nft's stderr and attributes each reported error to its command's owner. */
  attribute(stderr: string): AttributedError[] {
    const out: AttributedError[] = [];
    for (const raw of stderr.split('\n')) {
      const m = ERROR_LINE.exec(raw.trim());
      if (!m) continue;
      const line = Number(m[1]);
      out.push({ owner: this.#owners[line - 1], line, message: m[2]!, command: this.#lines[line - 1] ?? '' });
    }
    return out;
  }
}
