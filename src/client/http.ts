/**
 * The request shapes the client sends: JSON to `/token` (and GET `/auth-providers`), TSON to `/sync`. A failed fetch
 * becomes DxcError `offline`; a non-2xx answer becomes DxcHttpError with the status and body.
 */
import { decodeTson, encodeTson } from 'dxc/protocol';
import { DxcHttpError, dxcError } from './errors.js';

async function send(url: string, init: RequestInit): Promise<Response> {
  let response: Response;
  try {
    response = await fetch(url, init);
  } catch (error) {
    throw dxcError('offline', `Could not reach ${new URL(url).origin}`, error);
  }
  if (!response.ok) {
    const text = await response.text().catch(() => '');
    let body: unknown = text;
    try {
      body = JSON.parse(text);
    } catch {
      // a text body (the addon's protocol answers a wrong OTP with text)
    }
    const message =
      (typeof body === 'object' && body !== null && typeof (body as { message?: unknown }).message === 'string'
        ? (body as { message: string }).message
        : text) || response.statusText;
    throw new DxcHttpError(response.status, `${response.status} from ${new URL(url).pathname}: ${message}`, body);
  }
  return response;
}

export async function getJson<T>(url: string): Promise<T> {
  const response = await send(url, { mode: 'cors', headers: { Accept: 'application/json' } });
  return (await response.json()) as T;
}

export async function postJson<T>(url: string, body: unknown): Promise<T> {
  const response = await send(url, {
    method: 'POST',
    mode: 'cors',
    headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
    body: JSON.stringify(body),
  });
  return (await response.json()) as T;
}

export async function postTson<T>(url: string, body: unknown, accessToken?: string): Promise<T> {
  const headers: Record<string, string> = { 'Content-Type': 'application/tson', Accept: 'application/json' };
  if (accessToken) headers.Authorization = `Bearer ${accessToken}`;
  const response = await send(url, {
    method: 'POST',
    mode: 'cors',
    credentials: 'include',
    headers,
    body: encodeTson(body),
  });
  return decodeTson(await response.text()) as T;
}
