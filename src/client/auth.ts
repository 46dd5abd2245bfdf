/**
 * Login and logout. Login runs the email + one-time-code flow through `db.cloud.userInteraction`
 * (or the app's `fetchTokens`), stores the login with a fresh device key, and moves rows written
 * while logged out into the user's realm. Logout asks first when changes are still unsynced, then
 * clears synced data and credentials.
 */
import { Dexie } from 'dexie';
import {
  MAX_EMAIL_LENGTH,
  UNAUTHORIZED_USER_ID,
  type OtpTokenRequest,
  type TokenFinalResponse,
  type TokenResponse,
} from 'dxc/protocol';
import type { Engine } from './engine.js';
import { DxcHttpError, dxcError } from './errors.js';
import { postJson } from './http.js';
import { emailPrompt, interact, logoutConfirmation, makeAlert, messageAlert, otpPrompt } from './interactions.js';
import { markUntracked } from './outbox-middleware.js';
import { outboxTable } from './schema.js';
import { generateKeyPair, loginFromTokens, publicKeyPem } from './tokens.js';
import type { DXCAlert, LoginHints, UserLogin } from './types.js';

/** Accepts `a@b.c`, and `a@b.c as d@e.f` (how the addon's UI spells impersonation). */
const EMAIL_PATTERN = /^[^\s@]+@[^\s@]+\.[^\s@]+(\s+as\s+[^\s@]+@[^\s@]+\.[^\s@]+)?$/i;

export async function login(engine: Engine, hints: LoginHints = {}): Promise<void> {
  const current = engine.currentUser.value;
  const sameUser =
    engine.isLoggedIn() &&
    (!hints.email || hints.email === current.email) &&
    (!hints.userId || hints.userId === current.userId);
  if (sameUser && !engine.needsAuth) return;
  const keys = await generateKeyPair();
  const public_key = await publicKeyPem(keys.publicKey);
  const fetchTokens = engine.options?.fetchTokens;
  const tokens = fetchTokens
    ? await fetchTokens({ public_key, hints: { email: hints.email, userId: hints.userId } })
    : await otpFlow(engine, public_key, hints);
  const user = loginFromTokens(tokens, keys);
  if (engine.isLoggedIn() && user.userId !== engine.currentUserId()) {
    // Another account on this device: the previous user's rows and queue must not leak into it.
    if (!(await confirmDiscard(engine))) throw dxcError('user-cancelled', 'User cancelled');
    await clearLocalData(engine);
  }
  await storeLogin(engine, user);
  engine.needsAuth = false;
  engine.setUser(user);
  if (tokens.alerts?.length) {
    const alerts = tokens.alerts.map((a) => makeAlert(a.type, a.messageCode, a.message, a.messageParams));
    void interact(engine.userInteraction, messageAlert('Welcome', alerts)).catch(() => {});
  }
  engine.triggerSync('pull');
}

async function otpFlow(engine: Engine, public_key: string, hints: LoginHints): Promise<TokenFinalResponse> {
  const url = `${engine.databaseUrl}/token`;
  let email = hints.email?.trim();
  let alerts: DXCAlert[] = [];
  while (!email) {
    const submitted = String((await interact(engine.userInteraction, emailPrompt(alerts))).email ?? '').trim();
    if (submitted.length <= MAX_EMAIL_LENGTH && EMAIL_PATTERN.test(submitted)) email = submitted.toLowerCase();
    else alerts = [makeAlert('error', 'INVALID_EMAIL', 'Please enter a valid email address')];
  }
  const step1: OtpTokenRequest = { grant_type: 'otp', email, scopes: ['ACCESS_DB'] };
  if (hints.intent) step1.intent = hints.intent;
  let otpId = hints.otpId;
  if (!otpId || !hints.otp) {
    const first = await postJson<TokenResponse>(url, step1);
    if (first.type === 'tokens') return first;
    if (first.type !== 'otp-sent') throw dxcError('invalid-grant', first.type === 'error' ? first.message : 'Unexpected /token answer');
    otpId = first.otp_id;
  }
  let otp = hints.otp;
  alerts = [];
  for (;;) {
    otp ??= String((await interact(engine.userInteraction, otpPrompt(email, alerts))).otp ?? '').trim();
    try {
      const res = await postJson<TokenResponse>(url, { ...step1, otp, otp_id: otpId, public_key });
      if (res.type === 'tokens') return res;
      throw dxcError('invalid-grant', res.type === 'error' ? res.message : 'Unexpected /token answer');
    } catch (error) {
      // 401 means a wrong code: ask again (the server limits the attempts per code).
      if (!(error instanceof DxcHttpError && error.status === 401)) throw error;
      const body = error.body as { message?: string } | string | undefined;
      const message = typeof body === 'string' ? body : body?.message;
      alerts = [makeAlert('error', 'INVALID_OTP', message || 'Invalid code, please try again')];
      otp = undefined;
    }
  }
}

/**
 * Store the login, and move rows written while logged out into the user's realm. Those rows were
 * never recorded (no user to attribute them to), so they are queued here as upserts.
 */
async function storeLogin(engine: Engine, user: UserLogin): Promise<void> {
  const db = engine.vip;
  const tables = engine.syncedTables();
  const userId = user.userId!;
  await db.transaction('rw', ['$logins', ...tables, ...tables.map(outboxTable)], async (tx) => {
    markUntracked(tx.idbtrans);
    await tx.table('$logins').clear();
    await tx.table('$logins').put(user);
    const txid = `upload-${crypto.randomUUID()}`;
    for (const table of tables) {
      const anonymous = (await tx
        .table(table)
        .filter((row: { owner?: string; realmId?: string }) => row.realmId === UNAUTHORIZED_USER_ID || row.owner === UNAUTHORIZED_USER_ID)
        .toArray()) as Record<string, unknown>[];
      if (!anonymous.length) continue;
      for (const row of anonymous) {
        if (row.owner === UNAUTHORIZED_USER_ID) row.owner = userId;
        if (row.realmId === UNAUTHORIZED_USER_ID) row.realmId = userId;
      }
      const primKey = tx.table(table).schema.primKey;
      const keys = anonymous.map((row) => (primKey.keyPath ? Dexie.getByKeyPath(row, primKey.keyPath) : undefined));
      if (keys.some((key) => key === undefined)) continue; // outbound keys: cannot tell, leave local
      await tx.table(table).bulkPut(anonymous);
      await tx.table(outboxTable(table)).add({ type: 'upsert', keys, values: anonymous, txid, userId, ts: Date.now(), opNo: 1 });
    }
  });
}

/** Ask before unsynced changes are thrown away; true when there are none or the user agreed. */
async function confirmDiscard(engine: Engine): Promise<boolean> {
  const pending = engine.isLoggedIn() ? await engine.countPending() : 0;
  if (!pending) return true;
  try {
    await interact(engine.userInteraction, logoutConfirmation(engine.currentUserId(), pending));
    return true;
  } catch {
    return false;
  }
}

/** Delete synced rows, queues, sync state and credentials; local-only tables stay. */
async function clearLocalData(engine: Engine): Promise<void> {
  const db = engine.vip;
  const keep = new Set(['$jobs', '$syncState', ...(engine.options?.unsyncedTables ?? [])]);
  const tables = db.tables.map((t) => t.name).filter((name) => !keep.has(name));
  await db.transaction('rw', [...tables, '$syncState'], async (tx) => {
    markUntracked(tx.idbtrans);
    for (const name of tables) await tx.table(name).clear();
    await tx.table('$syncState').delete('syncState');
  });
  engine.needsAuth = false;
  engine.persistedSyncState.next(undefined);
  engine.setUser(undefined);
}

export async function logout(engine: Engine, { force = false }: { force?: boolean } = {}): Promise<void> {
  if (!force && !(await confirmDiscard(engine))) return; // cancelled: stay logged in
  await clearLocalData(engine);
  engine.triggerSync('pull');
}
