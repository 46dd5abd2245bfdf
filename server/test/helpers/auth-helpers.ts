/**
 * Helpers for the authentication tests: a real server on a fresh data directory, a movable clock,
 * and a device key made with WebCrypto exactly as dexie-cloud-addon makes it (RSASSA-PKCS1-v1_5,
 * 2048 bits, SPKI exported as 64-column PEM), plus the addon's two-step OTP login and its refresh
 * signature.
 */
import { webcrypto } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { startServer, type RunningServer, type StartOptions } from '../../src/app.js';
import type { ServerConfig } from '../../src/config.js';
import { createLogger } from '../../src/logger.js';

export interface TestClock {
  now(): number;
  advance(ms: number): void;
  set(ms: number): void;
}

/** A clock that moves only when told to. */
export function createClock(start = Date.UTC(2030, 0, 1)): TestClock {
  let current = start;
  return {
    now: () => current,
    advance: (ms) => {
      current += ms;
    },
    set: (ms) => {
      current = ms;
    },
  };
}

const createdDirs: string[] = [];
process.once('exit', () => {
  for (const dir of createdDirs) fs.rmSync(dir, { recursive: true, force: true });
});

/** A new empty data directory, removed when the test process exits. */
export function freshDataDir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dxc-auth-'));
  createdDirs.push(dir);
  return dir;
}

/** Collects pino's JSON lines in memory. */
export function logCapture(): { logger: ReturnType<typeof createLogger>; text(): string } {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk, _encoding, done) {
      chunks.push(String(chunk));
      done();
    },
  });
  return { logger: createLogger('debug', stream), text: () => chunks.join('') };
}

export interface TestServer extends RunningServer {
  readonly dataDir: string;
  readonly clock: TestClock;
}

/** Start a real server on an ephemeral port and a fresh (or given) data directory. */
export async function startAuthServer(
  overrides: Partial<ServerConfig> = {},
  options: StartOptions & { clock?: TestClock } = {},
): Promise<TestServer> {
  const clock = options.clock ?? createClock();
  const dataDir = overrides.dataDir ?? freshDataDir();
  const server = await startServer(
    { port: 0, logLevel: 'silent', host: '127.0.0.1', ...overrides, dataDir },
    { now: clock.now, ...(options.logger ? { logger: options.logger } : {}) },
  );
  return { ...server, dataDir, clock };
}

export interface DeviceKey {
  readonly privateKey: webcrypto.CryptoKey;
  readonly publicKeyPem: string;
}

/** A device key pair as the addon generates it. */
export async function createDeviceKey(): Promise<DeviceKey> {
  const pair = await webcrypto.subtle.generateKey(
    { name: 'RSASSA-PKCS1-v1_5', modulusLength: 2048, publicExponent: new Uint8Array([1, 0, 1]), hash: 'SHA-256' },
    false,
    ['sign', 'verify'],
  );
  const spki = Buffer.from(await webcrypto.subtle.exportKey('spki', pair.publicKey)).toString('base64');
  const lines = spki.match(/.{1,64}/g)!.join('\n');
  return { privateKey: pair.privateKey, publicKeyPem: `-----BEGIN PUBLIC KEY-----\n${lines}\n-----END PUBLIC KEY-----` };
}

/** The addon's refresh signature: base64 RSASSA-PKCS1-v1_5/SHA-256 over `refreshToken + timeStamp`. */
export async function signRefresh(device: DeviceKey, refreshToken: string, timeStamp: number): Promise<string> {
  const data = new TextEncoder().encode(refreshToken + timeStamp);
  return Buffer.from(await webcrypto.subtle.sign('RSASSA-PKCS1-v1_5', device.privateKey, data)).toString('base64');
}

export function postToken(server: RunningServer, body: unknown, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(`${server.url}/token`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
}

export async function requestCode(server: RunningServer, email: string): Promise<string> {
  const res = await postToken(server, { grant_type: 'otp', email, scopes: ['ACCESS_DB'] });
  if (res.status !== 200) throw new Error(`otp step 1: ${res.status} ${await res.text()}`);
  const body = (await res.json()) as { type: string; otp_id: string };
  if (body.type !== 'otp-sent') throw new Error(`unexpected ${JSON.stringify(body)}`);
  return body.otp_id;
}

export interface DevMail {
  to: string;
  subject: string;
  text: string;
  otp: string | null;
  date: string;
}

export async function readMailbox(server: RunningServer, email?: string): Promise<DevMail[]> {
  const res = await fetch(`${server.url}/_dev/mailbox${email ? `?to=${encodeURIComponent(email)}` : ''}`);
  if (res.status !== 200) throw new Error(`mailbox: ${res.status}`);
  return (await res.json()) as DevMail[];
}

/** The code of the newest mail sent to `email`. */
export async function latestCode(server: RunningServer, email: string): Promise<string> {
  const [mail] = await readMailbox(server, email);
  if (!mail?.otp) throw new Error(`no code mailed to ${email}`);
  return mail.otp;
}

export function submitCode(
  server: RunningServer,
  email: string,
  otpId: string,
  otp: string,
  device: DeviceKey,
): Promise<Response> {
  return postToken(server, {
    grant_type: 'otp',
    email,
    scopes: ['ACCESS_DB'],
    otp,
    otp_id: otpId,
    public_key: device.publicKeyPem,
  });
}

export interface Tokens {
  type: 'tokens';
  claims: { sub: string; email?: string; name?: string; license?: string };
  accessToken: string;
  accessTokenExpiration: number;
  refreshToken?: string;
  refreshTokenExpiration?: number | null;
  userType: string;
}

/** The addon's whole email login: request a code, read it from the dev mailbox, submit it. */
export async function loginWithCode(
  server: RunningServer,
  email: string,
  device?: DeviceKey,
): Promise<{ tokens: Tokens; device: DeviceKey }> {
  const key = device ?? (await createDeviceKey());
  const otpId = await requestCode(server, email);
  const res = await submitCode(server, email, otpId, await latestCode(server, email), key);
  if (res.status !== 200) throw new Error(`otp step 2: ${res.status} ${await res.text()}`);
  return { tokens: (await res.json()) as Tokens, device: key };
}

export async function refresh(
  server: RunningServer,
  refreshToken: string,
  device: DeviceKey,
  timeStamp: number,
  signature?: string,
): Promise<Response> {
  return postToken(server, {
    grant_type: 'refresh_token',
    refresh_token: refreshToken,
    scopes: ['ACCESS_DB'],
    signature: signature ?? (await signRefresh(device, refreshToken, timeStamp)),
    signing_algorithm: 'RSASSA-PKCS1-v1_5',
    time_stamp: timeStamp,
  });
}

/** The `code` of the DxcHttpError a promise rejects with, or 'resolved'. */
export async function rejectionCode(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
    return 'resolved';
  } catch (error) {
    const { code, status } = error as { code?: string; status?: number };
    return `${status ?? '?'} ${code ?? String(error)}`;
  }
}
