/**
 * Every error dxc raises on purpose carries a literal `code`, so callers branch on data instead of
 * on message text, and an explicit `name` that survives minification and `postMessage` between a
 * page and its service worker (where `instanceof` is lost).
 */
export type DxcErrorCode =
  // bad input on the wire
  | 'invalid-request'
  | 'invalid-tson'
  | 'payload-too-large'
  | 'too-deep'
  | 'forbidden-key'
  | 'invalid-table'
  | 'invalid-key'
  | 'unsupported-operation'
  | 'row-too-large'
  // authentication and authorization
  | 'invalid-grant'
  | 'invalid-token'
  | 'token-expired'
  | 'forbidden'
  | 'rate-limited'
  | 'unauthorized'
  // dxc proofs (RFC 9449 shaped; only the dxc client sends them)
  | 'invalid-dpop-proof'
  | 'use-dpop-nonce'
  // client side
  | 'config-invalid'
  | 'insecure-context'
  | 'not-logged-in'
  | 'user-cancelled'
  | 'http'
  | 'offline'
  | 'sync-failed'
  | 'needs-auth'
  | 'not-synced'
  | 'internal';

export class DxcError extends Error {
  override readonly name: string = 'DxcError';
  readonly code: DxcErrorCode;

  constructor(code: DxcErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }
}

/** True for any dxc error, or one with the given code, even after structured cloning. */
export function isDxcError(error: unknown, code?: DxcErrorCode): error is DxcError {
  if (typeof error !== 'object' || error === null) return false;
  const candidate = error as { name?: unknown; code?: unknown };
  if (typeof candidate.name !== 'string' || !candidate.name.startsWith('Dxc')) return false;
  return code === undefined || candidate.code === code;
}
