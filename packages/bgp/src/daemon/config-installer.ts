/**
 * `ConfigInstaller`: the only writer of BIRD's configuration file. A new text is written into
 * a private staging directory next to the destination, checked by BIRD's parser there, and
 * renamed over the destination only if BIRD accepts it, so the installed file is always one
 * BIRD has parsed (spec bgp.md §8).
 * @module
 */
import { mkdir, mkdtemp, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { BirdConfigRejectedError } from '../bird/check-bird-config.ts';

export interface ConfigInstallerOptions {
  /** The installed file BIRD reads (`bird -c`). */
  path: string;
  /** Rejects when BIRD's parser refuses the staged file (`checkBirdConfig`). */
  check(path: string): Promise<void>;
}

/** Stages, checks and atomically installs BIRD configuration files. */
export class ConfigInstaller {
  readonly path: string;
  readonly #check: (path: string) => Promise<void>;

  constructor(options: ConfigInstallerOptions) {
    this.path = options.path;
    this.#check = options.check;
  }

  /** The installed text, or undefined when there is no file yet. */
  async read(): Promise<string | undefined> {
    try {
      return await readFile(this.path, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw err;
    }
  }

  /** Where a configuration BIRD refused is kept for inspection (BIRD's line numbers refer to it). */
  get rejectedPath(): string {
    return `${this.path}.rejected`;
  }

  /**
   * Stages `text`, has BIRD parse it, then renames it over the installed file.
   * @throws {BirdConfigRejectedError} naming `rejectedPath`, where the refused text is kept;
   *   the installed file is untouched then. Other failures of `check` pass through.
   */
  async install(text: string): Promise<void> {
    await mkdir(dirname(this.path), { recursive: true });
    // Same directory as the destination: rename(2) is atomic only within one file system.
    const staging = await mkdtemp(join(dirname(this.path), `.${basename(this.path)}.staging-`));
    try {
      const staged = join(staging, basename(this.path));
      await writeFile(staged, text, { mode: 0o644 });
      try {
        await this.#check(staged);
      } catch (err) {
        if (!(err instanceof BirdConfigRejectedError)) throw err;
        await rename(staged, this.rejectedPath);
        throw new BirdConfigRejectedError(this.rejectedPath, err.birdMessage.replaceAll(staged, this.rejectedPath));
      }
      await rename(staged, this.path);
    } finally {
      await rm(staging, { recursive: true, force: true });
    }
  }

  /** Puts back a text that was installed before, unchecked: BIRD accepted it then. */
  async restore(text: string): Promise<void> {
    // Next to the destination, so the rename is atomic.
    const tmp = `${this.path}.restore-${process.pid}`;
    await writeFile(tmp, text, { mode: 0o644 });
    await rename(tmp, this.path);
  }
}
