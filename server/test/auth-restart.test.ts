/** Sessions and the signing key live in the data directory and survive a restart. */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { createClock, freshDataDir, loginWithCode, refresh, restartAuthServer, startAuthServer, type Tokens } from './helpers/auth-helpers.js';

test('a session survives a restart on the same data directory', async () => {
  const dataDir = freshDataDir();
  const clock = createClock();
  const first = await startAuthServer({ dataDir }, { clock });
  const { tokens, device } = await loginWithCode(first, 'durable@example.com');

  const keyFile = path.join(dataDir, 'signing-key.json');
  assert.equal(fs.statSync(keyFile).mode & 0o777, 0o600);
  const keyBefore = fs.readFileSync(keyFile, 'utf8');

  clock.advance(60_000);
  const second = await restartAuthServer(first);
  try {
    assert.equal(fs.readFileSync(keyFile, 'utf8'), keyBefore, 'the signing key is kept, not regenerated');
    const principal = await second.authenticate(tokens.accessToken);
    assert.equal(principal.kind === 'user' && principal.userId, tokens.claims.sub);
    const res = await refresh(second, tokens.refreshToken!, device, clock.now());
    assert.equal(res.status, 200);
    assert.equal(((await res.json()) as Tokens).claims.sub, tokens.claims.sub);
  } finally {
    await second.close();
  }
});

test('another data directory has another signing key, so its tokens are refused', async () => {
  const clock = createClock();
  const a = await startAuthServer({}, { clock });
  const b = await startAuthServer({}, { clock });
  try {
    const { tokens } = await loginWithCode(a, 'split@example.com');
    await assert.rejects(b.authenticate(tokens.accessToken), { code: 'invalid-token' });
  } finally {
    await a.close();
    await b.close();
  }
});
