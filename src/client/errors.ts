/**
 * Client errors: every error dxc raises is a `DxcError` (from dxc/protocol) with a literal `code`
 * and an explicit `name`, so apps branch on `code` even after the error crossed `postMessage`.
 */
import { DxcError, type DxcErrorCode } from 'dxc/protocol';

export { DxcError, isDxcError, type DxcErrorCode } from 'dxc/protocol';

/** A non-2xx answer from the server; `status` is the HTTP status, `body` its (parsed) text. */
export class DxcHttpError extends DxcError {
  override readonly name = 'DxcHttpError';

  constructor(
    readonly status: number,
    message: string,
    readonly body?: unknown,
  ) {
    super('http', message);
  }
}

export function dxcError(code: DxcErrorCode, message: string, cause?: unknown): DxcError {
  return new DxcError(code, message, cause === undefined ? undefined : { cause });
}

/**
 * A part of the client loaded on first use (`() => import('./x.js')`): the login flow and the
 * proofs run only with the network up, so they stay out of the entry chunk. A chunk that cannot
 * load (offline, not cached) fails like the request it precedes: `offline`.
 */
export function loadPart<T>(load: () => Promise<T>, what: string): Promise<T> {
  return load().catch((error: unknown) => {
    throw dxcError('offline', `Could not load ${what}`, error);
  });
}
