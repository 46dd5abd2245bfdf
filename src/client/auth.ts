/**
 * Login: the email + one-time-code flow through `db.cloud.userInteraction`, the app's
 * `fetchTokens`, or (dxc) a third-party token exchanged through a server-side provider. Each login
 * stores a fresh device key; when the server speaks dxc proofs (`/auth-providers` lists
 * `dpop+jwt`) the login carries a proof, which binds the session to the key for good. Rows written
 * while logged out move into the user's realm.
 */
import { Dexie } from 'dexie';
import {
  MAX_EMAIL_LENGTH,
  TOKEN_EXCHANGE_GRANT,
  UNAUTHORIZED_USER_ID,
  type AuthProvidersResponse,
  type OtpTokenRequest,
  type ProviderTokenRequest,
  type TokenFinalResponse,
  type TokenResponse,
} from 'dxc/protocol';
import { jwkThumbprint, makeProof, PROOF_TYPE, withNonceRetry } from './dpop.js';
import type { Engine } from './engine.js';
import { DxcHttpError, dxcError } from './errors.js';
import { getJson, postJson } from './http.js';
import { emailPrompt, interact, makeAlert, messageAlert, otpPrompt } from './interactions.js';
import { refreshLockName, withLock } from './locks.js';
import { clearLocalData, confirmDiscard, revokeSession } from './logout.js';
import { markUntracked } from './outbox-middleware.js';
import { outboxTable } from './schema.js';
import { generateKeyPair, loginFromTokens, publicKeyPem } from './tokens.js';
import type { DXCAlert, LoginHints, UserLogin } from './types.js';

/** Accepts `a@b.c`, and `a@b.c as d@e.f` (how the addon's UI spells impersonation). */
const EMAIL_PATTERN = /^[^\s@]+@[^\s@]+\.[^\s@]+(\s+as\s+[^\s@]+@[^\s@]+\.[^\s@]+)?$/i;

/** How the login proves the device key: a proof (dxc-server), or the PEM key (the addon's way). */
type Binding = (nonce?: string) => Promise<{ proof: string } | { public_key: string }>;

export async function login(engine: Engine, hints: LoginHints = {}): Promise<void> {
  const current = engine.currentUser.value;
  const sameUser =
    engine.isLoggedIn() &&
    (!hints.email || hints.email === current.email) &&
    (!hints.userId || hints.userId === current.userId);
  // A provider token is always exchanged: the app may be renewing a session that ends soon.
  if (sameUser && !engine.needsAuth && hints.token === undefined) return;
  if ((hints.provider === undefined) !== (hints.token === undefined)) {
    throw dxcError('config-invalid', 'login() needs provider and token together');
  }
  const keys = await generateKeyPair();
  const public_key = await publicKeyPem(keys.publicKey);
  const proofs = await serverSpeaksProofs(engine);
  const htu = `${engine.databaseUrl}/token`;
  const binding: Binding = async (nonce) => (proofs ? { proof: await makeProof(keys, { htu, nonce }) } : { public_key });
  const fetchTokens = engine.options?.fetchTokens;
  let tokens: TokenFinalResponse;
  if (hints.provider !== undefined) tokens = await providerFlow(htu, hints.provider, hints.token!, binding);
  else if (fetchTokens) {
    const dpop_jkt = proofs ? await jwkThumbprint(keys.publicKey) : undefined;
    tokens = await fetchTokens({ public_key, ...(dpop_jkt ? { dpop_jkt } : {}), hints: { email: hints.email, userId: hints.userId } });
  } else tokens = await otpFlow(engine, binding, hints);
  const user = loginFromTokens(tokens, keys);
  const previous = engine.isLoggedIn() ? await engine.loadUser() : undefined;
  const owner = engine.isLoggedIn() ? engine.currentUserId() : engine.keptDataOwner();
  if (owner !== undefined && user.userId !== owner) {
    // Another account on this device: the previous user's rows and queue must not leak into it
    // (also rows a `keepData` logout kept).
    if (!(await confirmDiscard(engine))) throw dxcError('user-cancelled', 'User cancelled');
    await clearLocalData(engine);
  }
  // Under the refresh lock: a refresh of the old login in another tab must not overwrite this one.
  await withLock(refreshLockName(engine.idbName), () => storeLogin(engine, user));
  engine.needsAuth = false;
  engine.setUser(user);
  // The replaced session is of no use any more; end it on the server too (best effort).
  if (previous && previous.refreshToken !== user.refreshToken) void revokeSession(engine.databaseUrl, previous);
  if (tokens.alerts?.length) {
    const alerts = tokens.alerts.map((a) => makeAlert(a.type, a.messageCode, a.message, a.messageParams));
    void interact(engine.userInteraction, messageAlert('Welcome', alerts)).catch(() => {});
  }
  engine.triggerSync('pull');
}

/** True when the server accepts dxc proofs; remembered per database once the server has answered. */
async function serverSpeaksProofs(engine: Engine): Promise<boolean> {
  if (engine.proofSupport !== undefined) return engine.proofSupport;
  try {
    const res = await getJson<AuthProvidersResponse>(`${engine.databaseUrl}/auth-providers`);
    return (engine.proofSupport = Array.isArray(res?.proofs) && res.proofs.includes(PROOF_TYPE));
  } catch (error) {
    // Dexie Cloud or an old server without the route: the addon's binding, which every server knows.
    if (error instanceof DxcHttpError) return (engine.proofSupport = false);
    return false; // offline: ask again next time
  }
}

/** The token-exchange grant: `provider` on the server vouches for the third-party `token`. */
async function providerFlow(url: string, provider: string, token: string, binding: Binding): Promise<TokenFinalResponse> {
  const request: Omit<ProviderTokenRequest, 'proof' | 'public_key'> = {
    grant_type: TOKEN_EXCHANGE_GRANT,
    provider,
    subject_token: token,
    subject_token_type: 'urn:ietf:params:oauth:token-type:jwt',
    scopes: ['ACCESS_DB'],
  };
  try {
    // A login proof is challenged only when the device clock is off by more than a minute.
    return await withNonceRetry(async (nonce) => postJson<TokenFinalResponse>(url, { ...request, ...(await binding(nonce)) }));
  } catch (error) {
    if (error instanceof DxcHttpError && error.status === 401) {
      throw dxcError('invalid-grant', error.message, error);
    }
    throw error;
  }
}

async function otpFlow(engine: Engine, binding: Binding, hints: LoginHints): Promise<TokenFinalResponse> {
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
      const res = await withNonceRetry(async (nonce) =>
        postJson<TokenResponse>(url, { ...step1, otp, otp_id: otpId, ...(await binding(nonce)) }),
      );
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
