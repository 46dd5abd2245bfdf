/**
 * The caller's IP for per-IP rate limits, taken from the socket. Forwarded headers are not
 * trusted: anyone can send them, and dxc-server has no setting naming a trusted proxy yet.
 */
import { getConnInfo } from '@hono/node-server/conninfo';
import type { Context } from 'hono';

export function clientIp(c: Context): string {
  try {
    return getConnInfo(c).remote.address ?? 'unknown';
  } catch {
    // app.request() in-process has no socket; such callers share one bucket.
    return 'unknown';
  }
}
