/**
 * `RecordingAgentRpc`: a `NeutronAgentRpc` for tests that records each call as a line
 * (`state <host>[ start]`, `up <port>@<host>`, `down <port>@<host>`), and can hold calls
 * until released or fail the next few, to test ordering, concurrency and retries.
 * @module
 */
import type { NeutronAgentRpc } from '../neutron/types.ts';

/** An in-process agent RPC that records what it is asked. */
export class RecordingAgentRpc implements NeutronAgentRpc {
  /** Successful calls, in completion order. */
  readonly calls: string[] = [];
  /** Fail this many of the next calls (after any hold). */
  failNext = 0;
  /** Calls running now, and the most ever at once. */
  concurrent = 0;
  maxConcurrent = 0;
  #gate: Promise<void> | undefined;
  #release: (() => void) | undefined;

  /** Makes calls wait until `release()`. */
  hold(): void {
    this.#gate = new Promise((resolve) => (this.#release = resolve));
  }

  release(): void {
    this.#release?.();
    this.#gate = undefined;
  }

  reportState(host: string, startFlag: boolean): Promise<void> {
    return this.#call(`state ${host}${startFlag ? ' start' : ''}`);
  }

  deviceUp(portId: string, host: string): Promise<void> {
    return this.#call(`up ${portId}@${host}`);
  }

  deviceDown(portId: string, host: string): Promise<void> {
    return this.#call(`down ${portId}@${host}`);
  }

  async close(): Promise<void> {}

  async #call(call: string): Promise<void> {
    this.concurrent++;
    this.maxConcurrent = Math.max(this.maxConcurrent, this.concurrent);
    try {
      if (this.#gate) await this.#gate;
      if (this.failNext > 0) {
        this.failNext--;
        throw new Error(`Neutron refused ${call}`);
      }
      this.calls.push(call);
    } finally {
      this.concurrent--;
    }
  }
}
