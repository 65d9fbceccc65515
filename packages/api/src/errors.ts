/**
 * Validation errors shared by every Percale component. A `FieldError` names one
 * field, the offending value and the reason; `ValidationError` carries a list
 * of them and renders Calico's message format.
 * @module
 */

/** One invalid field: `field` is the path (e.g. `spec.ingress[0].protocol`). */
export interface FieldError {
  field: string;
  /** The value that was rejected, when there is one to show. */
  value?: unknown;
  reason: string;
}

function renderValue(value: unknown): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') return String(value);
  return JSON.stringify(value);
}

/** Renders one field error as Calico does: `<field> = '<value>' (<reason>)`. */
export function formatFieldError(e: FieldError): string {
  const value = e.value === undefined ? '' : ` = '${renderValue(e.value)}'`;
  const reason = e.reason ? ` (${e.reason})` : '';
  return `${e.field}${value}${reason}`;
}

/** Raised when a resource fails validation; carries every field error found. */
export class ValidationError extends Error {
  readonly code = 'API_VALIDATION_FAILED';
  readonly fields: readonly FieldError[];

  constructor(fields: readonly FieldError[], options?: { cause?: unknown }) {
    super(ValidationError.render(fields), options);
    this.name = 'ValidationError';
    this.fields = fields;
  }

  /** Calico's text: one field inline, several as a dashed list. */
  static render(fields: readonly FieldError[]): string {
    if (fields.length === 1) return `error with field ${formatFieldError(fields[0]!)}`;
    return `error with the following fields:\n${fields.map((f) => `-  ${formatFieldError(f)}\n`).join('')}`;
  }
}

/** True for a `ValidationError`, also across duplicate copies of this package. */
export function isValidationError(err: unknown): err is ValidationError {
  return err instanceof Error && (err as { code?: unknown }).code === 'API_VALIDATION_FAILED';
}
