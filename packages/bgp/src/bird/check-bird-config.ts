/**
 * `checkBirdConfig`: BIRD's own parser as the gate before a rendered configuration replaces
 * the installed one (`bird -p -c <file>`: parse only, exit 1 with `file:line:col message`).
 * @module
 */
import { execFile } from 'node:child_process';

/** BIRD's parser rejected a configuration file. */
export class BirdConfigRejectedError extends Error {
  readonly code = 'BIRD_CONFIG_REJECTED';
  readonly path: string;
  /** BIRD's own message, e.g. `/etc/percale/bird/bird.conf:12:3 syntax error, unexpected …`. */
  readonly birdMessage: string;
  constructor(path: string, birdMessage: string) {
    super(`BIRD rejected the configuration "${path}": ${birdMessage}`);
    this.name = 'BirdConfigRejectedError';
    this.path = path;
    this.birdMessage = birdMessage;
  }
}

/**
 * Runs `bird -p -c <path>`; resolves when BIRD accepts the file.
 * @throws {BirdConfigRejectedError} with BIRD's message when it does not.
 */
export function checkBirdConfig(path: string, birdBinary = 'bird', timeoutMs = 10_000): Promise<void> {
  return new Promise((resolve, reject) => {
    execFile(birdBinary, ['-p', '-c', path], { timeout: timeoutMs, killSignal: 'SIGKILL' }, (err, stdout, stderr) => {
      if (!err) {
        resolve();
        return;
      }
      const spawnFailed = typeof err.code === 'string';
      if (spawnFailed) {
        reject(new Error(`Cannot run "${birdBinary} -p -c ${path}": ${err.message}`, { cause: err }));
        return;
      }
      // BIRD prints "bird: <file>:<line>:<col> <message>".
      const message = `${stderr}${stdout}`.trim().replace(/^bird: /gm, '') || `exit status ${String(err.code ?? err.signal)}`;
      reject(new BirdConfigRejectedError(path, message));
    });
  });
}
