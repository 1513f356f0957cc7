/**
 * Errors cross the process boundary as values, never as thrown exceptions, so the renderer
 * always gets a message a user can act on and main never crashes on a bad request.
 */

/** Machine-readable error kinds; the message is for people. */
export type ErrorCode =
  | 'invalid-argument' // the request did not match the contract's schema
  | 'unknown-method' // no such channel in the contract
  | 'not-permitted' // a file or id the user never chose, or one the system refuses to open
  | 'not-found' // a file, id or model that does not (or no longer) exist
  | 'unreadable' // a file that exists but could not be read or parsed
  | 'busy' // something else must finish (or be cancelled) first; trying again later may work
  | 'cancelled' // the user cancelled a dialog or a long task
  | 'internal'; // a bug: the message says what failed

export interface ApiError {
  readonly code: ErrorCode;
  readonly message: string;
}

export type Result<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: ApiError };

export function ok<T>(value: T): Result<T> {
  return { ok: true, value };
}

export function fail<T = never>(code: ErrorCode, message: string): Result<T> {
  return { ok: false, error: { code, message } };
}

/** An error a service throws on purpose; its message is shown to the user as is. */
export class UserFacingError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'UserFacingError';
  }
}
