/**
 * Fans validated updates out to the nodes that handle each kind (Felix's `dispatcher`), in the
 * order the nodes registered; `calc-graph.ts` does the registering and comments the order.
 * @module
 */
import type { Update } from './update.ts';

/** A node's handler for one kind of update. */
export type UpdateHandler = (update: Update) => void;

/** Routes updates by resource kind. */
export class Dispatcher {
  readonly #handlers = new Map<string, UpdateHandler[]>();

  /** Adds `handler` for `kind`, after those registered before it. */
  register(kind: string, handler: UpdateHandler): void {
    let handlers = this.#handlers.get(kind);
    if (handlers === undefined) {
      handlers = [];
      this.#handlers.set(kind, handlers);
    }
    handlers.push(handler);
  }

  /** True if some node handles `kind` (the validation filter skips work for the rest). */
  handles(kind: string): boolean {
    return this.#handlers.has(kind);
  }

  /** Passes the update to every handler of its kind. */
  dispatch(update: Update): void {
    const handlers = this.#handlers.get(update.kind);
    if (handlers === undefined) return;
    for (const handler of handlers) handler(update);
  }
}
