/**
 * Helpers for the authentication tests: a real server on a fresh data directory, a movable clock,
 * and a device key made with WebCrypto exactly as dexie-cloud-addon makes it (RSASSA-PKCS1-v1_5,
 * 2048 bits, SPKI exported as 64-column PEM), plus the addon's two-step OTP login and its refresh
 * signature.
 */
import { createHash, randomUUID, webcrypto, type KeyObject } from 'node:crypto';
import fs from 'node:fs';
import { createServer, type IncomingHttpHeaders, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { calculateJwkThumbprint, exportJWK, generateKeyPair, SignJWT, type JWK } from 'jose';
import { WebSocket } from 'ws';
import { backendConfig } from './backend.js';
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
    { port: 0, logLevel: 'silent', host: '127.0.0.1', ...(await backendConfig(dataDir)), ...overrides, dataDir },
    { now: clock.now, ...(options.logger ? { logger: options.logger } : {}) },
  );
  return { ...server, dataDir, clock };
}

/**
 * Stop `server` and start it again on the same port, data directory and clock, as an operator's
 * restart would (tokens name the server's URL, so a restart on another port would void them).
 */
export async function restartAuthServer(
  server: TestServer,
  overrides: Partial<ServerConfig> = {},
  options: StartOptions = {},
): Promise<TestServer> {
  await server.close();
  // Let fetch's pool see the old server's connections end: undici does not retry a POST that it
  // wrote to a pooled socket the stopped server had already closed.
  await new Promise((resolve) => setTimeout(resolve, 20));
  return startAuthServer({ ...overrides, dataDir: server.dataDir, port: server.port }, { ...options, clock: server.clock });
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

// ---------------------------------------------------------------------------------------------
// DPoP-shaped proofs (the dxc client's refresh proof)

export interface ProofKey {
  readonly alg: 'ES256' | 'RS256';
  readonly privateKey: webcrypto.CryptoKey | KeyObject;
  /** The public JWK, as a proof's header carries it. */
  readonly jwk: JWK;
  readonly thumbprint: string;
}

/** A proof key pair, non-extractable as the dxc client makes it. */
export async function createProofKey(alg: 'ES256' | 'RS256' = 'ES256'): Promise<ProofKey> {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: false });
  const jwk = await exportJWK(publicKey);
  return { alg, privateKey, jwk, thumbprint: await calculateJwkThumbprint(jwk, 'sha256') };
}

export interface ProofOptions {
  htu: string;
  htm?: string;
  /** Seconds since epoch; defaults to the server clock. */
  iat?: number;
  jti?: string;
  nonce?: string;
  /** The refresh token whose hash goes into `ath`. */
  refreshToken?: string;
  typ?: string;
  /** Replace the header's jwk (e.g. with one holding private members). */
  jwk?: JWK;
}

/** A `dpop+jwt` proof signed with `key`. */
export function makeProof(key: ProofKey, options: ProofOptions): Promise<string> {
  const claims: Record<string, unknown> = {
    jti: options.jti ?? randomUUID(),
    htm: options.htm ?? 'POST',
    htu: options.htu,
    iat: options.iat,
  };
  if (options.nonce !== undefined) claims.nonce = options.nonce;
  if (options.refreshToken !== undefined) {
    claims.ath = createHash('sha256').update(options.refreshToken).digest('base64url');
  }
  return new SignJWT(claims)
    .setProtectedHeader({ typ: options.typ ?? 'dpop+jwt', alg: key.alg, jwk: options.jwk ?? key.jwk })
    .sign(key.privateKey);
}

/** Seconds since epoch on the test server's clock. */
export function serverSeconds(server: TestServer): number {
  return Math.floor(server.clock.now() / 1000);
}

/** An email login whose session is bound to `key` by a proof (the dxc client's login). */
export async function loginWithProof(server: TestServer, email: string, key?: ProofKey): Promise<{ tokens: Tokens; key: ProofKey }> {
  const proofKey = key ?? (await createProofKey());
  const otpId = await requestCode(server, email);
  const code = await latestCode(server, email);
  const proof = await makeProof(proofKey, { htu: `${server.url}/token`, iat: serverSeconds(server) });
  const res = await postToken(server, { grant_type: 'otp', email, scopes: ['ACCESS_DB'], otp_id: otpId, otp: code }, { DPoP: proof });
  if (res.status !== 200) throw new Error(`otp step 2 with proof: ${res.status} ${await res.text()}`);
  return { tokens: (await res.json()) as Tokens, key: proofKey };
}

/** A refresh with a proof in the `DPoP` header, exactly as given (no nonce unless `options.nonce`). */
export async function sendRefreshProof(
  server: TestServer,
  refreshToken: string,
  key: ProofKey,
  options: Partial<ProofOptions> = {},
): Promise<Response> {
  const proof = await makeProof(key, { htu: `${server.url}/token`, iat: serverSeconds(server), refreshToken, ...options });
  return postToken(server, { grant_type: 'refresh_token', refresh_token: refreshToken, scopes: ['ACCESS_DB'] }, { DPoP: proof });
}

/** The server's nonce challenge for a refresh: the first step of every proof refresh. */
export async function refreshNonce(server: TestServer, refreshToken: string, key: ProofKey): Promise<string> {
  const res = await sendRefreshProof(server, refreshToken, key);
  const body = (await res.json()) as { error?: string; nonce?: string };
  if (res.status !== 400 || body.error !== 'use-dpop-nonce' || !body.nonce) {
    throw new Error(`expected a nonce challenge, got ${res.status} ${JSON.stringify(body)}`);
  }
  if (res.headers.get('dpop-nonce') !== body.nonce) throw new Error('DPoP-Nonce header and body differ');
  return body.nonce;
}

/**
 * The dxc client's whole refresh: a proof without nonce, and on the nonce challenge the same with
 * the nonce. Any other first answer (a refusal of the token itself) is returned as is.
 */
export async function refreshWithProof(
  server: TestServer,
  refreshToken: string,
  key: ProofKey,
  options: Partial<ProofOptions> = {},
): Promise<Response> {
  let nonce = options.nonce;
  if (nonce === undefined) {
    const first = await sendRefreshProof(server, refreshToken, key, options);
    const text = await first.text();
    const body = JSON.parse(text) as { error?: string; nonce?: string };
    if (first.status !== 400 || body.error !== 'use-dpop-nonce') return new Response(text, { status: first.status });
    nonce = body.nonce;
  }
  return sendRefreshProof(server, refreshToken, key, { ...options, nonce });
}

// ---------------------------------------------------------------------------------------------
// Third-party providers: real HTTP servers on loopback, and the providers file

export interface CapturedRequest {
  readonly method: string;
  readonly url: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
}

export interface LocalHttpServer {
  readonly url: string;
  readonly requests: CapturedRequest[];
  close(): Promise<void>;
}

/** A real HTTP server on 127.0.0.1 that records every request and answers with `handler`. */
export async function startLocalHttpServer(
  handler: (request: CapturedRequest, response: ServerResponse) => void,
): Promise<LocalHttpServer> {
  const requests: CapturedRequest[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const captured = { method: req.method ?? '', url: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks).toString('utf8') };
      requests.push(captured);
      handler(captured, res);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Write `<dataDir>/auth-providers.json`; start the server on that data directory afterwards. */
export function writeProviders(dataDir: string, providers: Record<string, Record<string, unknown>>): void {
  fs.writeFileSync(path.join(dataDir, 'auth-providers.json'), JSON.stringify({ providers }), { mode: 0o600 });
}

/** `POST /token` with the token-exchange grant. */
export function providerLogin(server: RunningServer, provider: string, subjectToken: string, extra: Record<string, unknown> = {}): Promise<Response> {
  return postToken(server, {
    grant_type: 'urn:ietf:params:oauth:grant-type:token-exchange',
    provider,
    subject_token: subjectToken,
    subject_token_type: 'urn:ietf:params:oauth:token-type:jwt',
    scopes: ['ACCESS_DB'],
    ...extra,
  });
}

/** Open `/changes` with an access token; resolves once open (or rejects with the refusal). */
export function openChangesSocket(server: RunningServer, accessToken: string): Promise<WebSocket> {
  const ws = new WebSocket(`${server.url.replace(/^http/, 'ws')}/changes?token=${encodeURIComponent(accessToken)}`);
  return new Promise((resolve, reject) => {
    ws.once('open', () => resolve(ws));
    ws.once('unexpected-response', (_req, res) => reject(new Error(`upgrade refused: ${res.statusCode}`)));
    ws.once('error', reject);
  });
}

/** The close code of `ws`, once it closes. */
export function closeCode(ws: WebSocket): Promise<number> {
  if (ws.readyState === WebSocket.CLOSED) return Promise.resolve(-1);
  return new Promise((resolve) => ws.once('close', (code) => resolve(code)));
}
