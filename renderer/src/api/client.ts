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
