/**
 * Browser-side helpers for tests that run dxc clients against the dxc-server the WTR plugin
 * started (scripts/wtr-dxc-server.mjs): server control, fresh databases, the OTP login driven
 * through `userInteraction` with the code from the dev mailbox, and waiting on observables.
 *
 * Waiting is event-driven (observables, syncComplete) with a re-check on a short poll as a safety
 * net; the only time limit is mocha's test timeout, so a slow machine cannot fail a test.
 */
import { Dexie } from 'dexie';
import dxc, { type DxcOptions, type DXCUserInteraction } from '../../src/client/index.js';
import type { ValueSubject } from '../../src/client/observable.js';

export { dxc };

let cachedUrl: string | undefined;

/** POST (or GET) a test-control route on the WTR server. */
export async function control<T = unknown>(path: string, method: 'GET' | 'POST' = 'POST', body?: unknown): Promise<T> {
  const res = await fetch(`/__dxc/${path}`, {
    method,
    headers: body === undefined ? {} : { 'Content-Type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const json = (await res.json()) as T & { error?: string; message?: string };
  if (!res.ok) throw new Error(`control ${path}: ${res.status} ${json.message ?? json.error}`);
  return json;
}

export async function databaseUrl(): Promise<string> {
  cachedUrl ??= (await control<{ databaseUrl: string }>('config', 'GET')).databaseUrl;
  return cachedUrl;
}

/** A name no other test (or earlier run against the same server) uses. */
export function unique(prefix: string): string {
  return `${prefix}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;
}

export function uniqueEmail(prefix = 'user'): string {
  return `${unique(prefix)}@example.com`.toLowerCase();
}

export const FRIENDS_SCHEMA = { friends: '@id, name, age', notes: 'id', drafts: '@id', pairs: '[x+y]' };

export type TestDb = Dexie & { friends: Dexie.Table<Friend, string>; notes: Dexie.Table<Record<string, unknown>, string> };
export interface Friend {
  id?: string;
  name: string;
  age: number;
  tags?: string[];
  owner?: string;
  realmId?: string;
}

const opened: Dexie[] = [];

/** A dxc database on the test server (not opened yet unless `open`). */
export async function newDb(name: string, options: Partial<DxcOptions> = {}, stores: Record<string, string> = FRIENDS_SCHEMA): Promise<TestDb> {
  const db = new Dexie(name, { addons: [dxc] }) as TestDb;
  db.version(1).stores(stores);
  db.cloud.configure({ databaseUrl: await databaseUrl(), customLoginGui: true, ...options });
  opened.push(db);
  return db;
}

/** Close and delete every database the test created (call from afterEach). */
export async function cleanup(): Promise<void> {
  for (const db of opened.splice(0)) {
    db.close();
    await Dexie.delete(db.name).catch(() => {});
  }
}

/** Resolve with the first value of `subject` that passes `predicate`. */
export function waitFor<T>(subject: ValueSubject<T>, predicate: (value: T) => boolean): Promise<T> {
  return new Promise((resolve) => {
    let done = false;
    const sub = subject.subscribe((value) => {
      if (done || !predicate(value)) return;
      done = true;
      queueMicrotask(() => sub.unsubscribe());
      resolve(value);
    });
  });
}

/** Re-run `check` until it returns a truthy value (on db events, and every 50 ms as a fallback). */
export async function eventually<T>(check: () => Promise<T | undefined | false> | T | undefined | false, dbs: Dexie[] = []): Promise<T> {
  for (;;) {
    const result = await check();
    if (result) return result;
    await new Promise<void>((resolve) => {
      const subs = dbs.map((db) => db.cloud.events.syncComplete.subscribe(() => finish()));
      const timer = setTimeout(() => finish(), 50);
      function finish() {
        clearTimeout(timer);
        subs.forEach((s) => s.unsubscribe());
        resolve();
      }
    });
  }
}

/** The latest one-time code the dev mailbox holds for `email` (the mailbox lists newest first). */
export async function latestOtp(email: string): Promise<string | undefined> {
  const res = await fetch(`${await databaseUrl()}/_dev/mailbox?to=${encodeURIComponent(email)}`);
  if (!res.ok) return undefined;
  const mails = (await res.json()) as { to: string; otp: string | null; date: string }[];
  return mails[0]?.otp ?? undefined;
}

/** The next interaction of type `type` (the current one included). */
export function nextInteraction(db: Dexie, type: DXCUserInteraction['type']): Promise<DXCUserInteraction> {
  return waitFor(db.cloud.userInteraction, (ui) => ui?.type === type) as Promise<DXCUserInteraction>;
}

/** Log in through the email + OTP prompts, reading the code from the dev mailbox. */
export async function loginWithOtp(db: Dexie, email: string): Promise<void> {
  const before = await latestOtp(email);
  const done = db.cloud.login();
  (await nextInteraction(db, 'email')).onSubmit({ email });
  const prompt = await nextInteraction(db, 'otp');
  const otp = await eventually(async () => {
    const code = await latestOtp(email);
    return code !== before ? code : undefined;
  });
  prompt.onSubmit({ otp: otp! });
  await done;
}

/**
 * `fetchTokens` backed by the custom-auth route of the WTR plugin (an app backend using
 * client_credentials). Most tests log in this way: dxc-server rate-limits OTP mails and attempts
 * per IP, and every browser test shares one IP.
 */
export function customAuth(email: string): NonNullable<DxcOptions['fetchTokens']> {
  return async ({ public_key }) => control('custom-auth/token', 'POST', { public_key, email });
}

/** A database for `email` that logs in through `fetchTokens` (call `db.cloud.login()`). */
export async function newUserDb(name: string, email: string, options: Partial<DxcOptions> = {}): Promise<TestDb> {
  return newDb(name, { fetchTokens: customAuth(email), ...options });
}

/** Wait until the client has synced everything it holds (outbox empty, phase in-sync). */
export async function settled(db: Dexie): Promise<void> {
  await db.cloud.sync({ purpose: 'push', wait: true });
  await waitFor(db.cloud.syncState, (s) => s.phase === 'in-sync');
}

/** Move the server's clock and this page's Date.now() forward together, as real time would. */
export async function advanceClocks(ms: number): Promise<() => Promise<void>> {
  await control(`clock/advance?ms=${ms}`);
  const realNow = Date.now;
  Date.now = () => realNow() + ms;
  return async () => {
    Date.now = realNow;
    await control('clock/reset');
  };
}

/** The provider the WTR plugin configures: its webhook accepts `demo:<userId>:<seconds>`. */
export const TEST_PROVIDER = 'test';

/** A third-party token the test webhook accepts: `userId` for `seconds`. */
export function demoToken(userId: string, seconds: number): string {
  return `demo:${userId}:${seconds}`;
}

/** Log `db` in as `userId` through the test webhook provider. */
export function providerLogin(db: Dexie, userId: string, seconds = 86400): Promise<void> {
  return db.cloud.login({ provider: TEST_PROVIDER, token: demoToken(userId, seconds) });
}

export interface RecordedRequest {
  path: string;
  status: number;
  /** The JSON body sent, when there was one. */
  body?: Record<string, unknown>;
  /** The JSON answer, for error answers. */
  answer?: Record<string, unknown>;
}

/** Record every fetch of this page (all databases in it) until `stop()`. */
export function recordRequests(): { requests: RecordedRequest[]; stop(): void } {
  const original = window.fetch;
  const requests: RecordedRequest[] = [];
  window.fetch = async (input: RequestInfo | URL, init?: RequestInit) => {
    const path = new URL(input instanceof Request ? input.url : String(input), location.href).pathname;
    let body: Record<string, unknown> | undefined;
    try {
      body = typeof init?.body === 'string' ? JSON.parse(init.body) : undefined;
    } catch {
      body = undefined; // TSON or text
    }
    const response = await original(input, init);
    const entry: RecordedRequest = { path, status: response.status, body };
    if (!response.ok) entry.answer = await response.clone().json().catch(() => undefined);
    requests.push(entry);
    return response;
  };
  return { requests, stop: () => void (window.fetch = original) };
}
