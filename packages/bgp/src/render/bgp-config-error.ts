/**
 * The one expected failure of the BIRD configuration renderer: the datastore state cannot
 * describe a BGP speaker for this host (no Node resource, no BGP address, a bad router id).
 * @module
 */

/** The datastore cannot yield a BIRD configuration for this host; `field` names the culprit. */
export class BgpConfigError extends Error {
  readonly code = 'BGP_CONFIG_INVALID';
  /** The resource and field at fault, e.g. `Node(compute-1).spec.bgp`. */
  readonly field: string;

  constructor(field: string, message: string) {
    super(message);
    this.name = 'BgpConfigError';
    this.field = field;
  }
}

/** True if `err` is a {@link BgpConfigError}. */
export function isBgpConfigError(err: unknown): err is BgpConfigError {
  return err instanceof BgpConfigError;
}
