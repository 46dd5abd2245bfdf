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
