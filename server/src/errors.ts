/**
 * One place maps dxc error codes to HTTP statuses, so every route answers bad input the same way:
 * `{error: code, message}` with a 4xx, never a stack trace or a 500.
 */
import { DxcError, isDxcError, type DxcErrorCode, type ErrorBody } from 'dxc/protocol';

const STATUS_BY_CODE: Partial<Record<DxcErrorCode, number>> = {
  'invalid-request': 400,
  'invalid-tson': 400,
  'too-deep': 400,
  'forbidden-key': 400,
  'invalid-table': 400,
  'invalid-key': 400,
  'unsupported-operation': 400,
  'row-too-large': 413,
  'payload-too-large': 413,
  'invalid-grant': 401,
  'invalid-token': 401,
  'token-expired': 401,
  unauthorized: 401,
  forbidden: 403,
  'rate-limited': 429,
};

/** A DxcError that also carries an HTTP status and, for 429, a retry delay. */
export class DxcHttpError extends DxcError {
  override readonly name = 'DxcHttpError';
  constructor(
    code: DxcErrorCode,
    message: string,
    readonly status: number = STATUS_BY_CODE[code] ?? 400,
    readonly retryAfterSeconds?: number,
  ) {
    super(code, message);
  }
}

export function statusOf(error: unknown): number {
  if (error instanceof DxcHttpError) return error.status;
  if (isDxcError(error)) return STATUS_BY_CODE[error.code] ?? 400;
  return 500;
}

export function errorBody(error: unknown): ErrorBody {
  if (isDxcError(error)) return { error: error.code, message: error.message };
  return { error: 'internal', message: 'Internal server error' };
}
