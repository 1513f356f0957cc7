/**
 * The renderer's only way to main: the API the preload exposed as `window.hsam`. Types come
 * from the contract; the renderer never imports Node or Electron.
 */
import type { HsamApi } from '../../../common/contract/api';
import type { Result } from '../../../common/contract/result';

declare global {
  interface Window {
    readonly hsam: HsamApi;
  }
}

export const hsam: HsamApi = window.hsam;

/** Thrown by `unwrap`; carries the user-facing message from main. */
export class ApiFailure extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export function unwrap<T>(r: Result<T>): T {
  if (!r.ok) throw new ApiFailure(r.error.code, r.error.message);
  return r.value;
}

/** The message to show for a failed call, or null for one the user cancelled (no failure). */
export function failureMessage(e: unknown): string | null {
  const code = typeof e === 'object' && e !== null && 'code' in e ? e.code : undefined;
  if (code === 'cancelled') return null;
  if (e instanceof Error) return e.message;
  if (typeof e === 'object' && e !== null && 'message' in e && typeof e.message === 'string') return e.message;
  return String(e);
}
