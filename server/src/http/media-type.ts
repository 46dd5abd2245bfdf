/**
 * Content-Type allow-lists for state-changing endpoints. A browser sends a cross-site POST without
 * a CORS preflight ("simple request", Fetch standard §3.2.3 CORS-safelisted request-header) when
 * its Content-Type is `text/plain`, `application/x-www-form-urlencoded` or `multipart/form-data`,
 * or when it has none (a typeless Blob, `navigator.sendBeacon`). Such a request reaches the
 * handler before the browser has asked whether the origin is allowed, so an endpoint that changes
 * state must refuse it (ASVS 5.0 3.5.2; reliability.md (a) row 27). Accepting only listed,
 * non-safelisted types refuses all of them, an absent Content-Type included.
 */
import { DxcHttpError } from '../errors.js';

/** What `/token` and `/logout` accept: the addon and the dxc client send JSON. */
export const JSON_CONTENT_TYPES: readonly string[] = ['application/json'];

/**
 * What `/sync` accepts: the official addon sends `application/tson` (TSON is JSON with typed
 * values); `application/json` is the same text and needs a preflight just as well.
 */
export const SYNC_CONTENT_TYPES: readonly string[] = ['application/tson', 'application/json'];

/** The media type of a Content-Type header value, lower-cased, without parameters. */
export function mediaTypeOf(contentType: string | null | undefined): string {
  return (contentType ?? '').split(';', 1)[0]!.trim().toLowerCase();
}

/**
 * Throw a 415 `invalid-request` unless the request's Content-Type is one of `accepted`; called
 * before the body is read or anything is stored.
 */
export function requireContentType(request: Request, accepted: readonly string[], what: string): void {
  if (!accepted.includes(mediaTypeOf(request.headers.get('content-type')))) {
    throw new DxcHttpError('invalid-request', `${what} needs Content-Type: ${accepted.join(' or ')}`, 415);
  }
}
