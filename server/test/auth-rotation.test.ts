/**
 * Refresh-token rotation for proof-bound sessions (research/reliability.md (a) rows 14–16):
 * reuse detection revokes the family, honest concurrency does not, absolute and idle expiry hold.
 */
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, test } from 'node:test';
import {
  loginWithCode,
  loginWithProof,
  logCapture,
  refresh,
  refreshNonce,
  refreshWithProof,
  startAuthServer,
  type TestServer,
  type Tokens,
} from './helpers/auth-helpers.js';

const DAY = 24 * 3_600_000;

describe('refresh-token rotation', () => {
  let server: TestServer;
  const logs = logCapture();
  before(async () => {
    server = await startAuthServer({}, { logger: logs.logger });
  });
  after(() => server.close());
  beforeEach(() => server.clock.advance(3_600_000));

  test('presenting a superseded token after the grace window revokes the whole family', async () => {
    const { tokens, key } = await loginWithProof(server, 'reuse@example.com');
    const rt1 = tokens.refreshToken!;
    const second = (await (await refreshWithProof(server, rt1, key)).json()) as Tokens;
    const rt2 = second.refreshToken!;
    assert.notEqual(rt2, rt1);

    server.clock.advance(31_000);
    assert.equal((await refreshWithProof(server, rt1, key)).status, 401, 'RT1 is reuse now');
    assert.equal((await refreshWithProof(server, rt2, key)).status, 401, 'and RT2 went with the family');
    await assert.rejects(server.authenticate(second.accessToken), { code: 'invalid-token' });
    assert.match(logs.text(), /"event":"auth\.refresh_reuse"/);
  });

  test('inside the grace window a superseded token gets the same successor, and the family lives', async () => {
    const { tokens, key } = await loginWithProof(server, 'grace@example.com');
    const first = (await (await refreshWithProof(server, tokens.refreshToken!, key)).json()) as Tokens;
    server.clock.advance(5_000);
    // The response was lost: the client retries with the token it still has.
    const retry = await refreshWithProof(server, tokens.refreshToken!, key);
    assert.equal(retry.status, 200);
    assert.equal(((await retry.json()) as Tokens).refreshToken, first.refreshToken);
    assert.equal((await refreshWithProof(server, first.refreshToken!, key)).status, 200);
  });

  test('20 concurrent refreshes of one token give one successor and do not revoke the family', async () => {
    const { tokens, key } = await loginWithProof(server, 'tabs@example.com');
    const nonce = await refreshNonce(server, tokens.refreshToken!, key);
    const answers = await Promise.all(
      Array.from({ length: 20 }, () => refreshWithProof(server, tokens.refreshToken!, key, { nonce })),
    );
    const statuses = answers.map((res) => res.status);
    assert.deepEqual(statuses, Array(20).fill(200), 'every tab gets an answer');
    const successors = new Set(await Promise.all(answers.map(async (res) => ((await res.json()) as Tokens).refreshToken)));
    assert.equal(successors.size, 1, 'exactly one successor');
    const [successor] = [...successors] as [string];
    assert.notEqual(successor, tokens.refreshToken);
    assert.equal((await refreshWithProof(server, successor, key)).status, 200, 'the family is live');
  });

  test('a superseded token whose successor has rotated again is refused without revoking', async () => {
    const { tokens, key } = await loginWithProof(server, 'chain@example.com');
    const rt2 = ((await (await refreshWithProof(server, tokens.refreshToken!, key)).json()) as Tokens).refreshToken!;
    const rt3 = ((await (await refreshWithProof(server, rt2, key)).json()) as Tokens).refreshToken!;
    assert.equal((await refreshWithProof(server, tokens.refreshToken!, key)).status, 401);
    assert.equal((await refreshWithProof(server, rt3, key)).status, 200);
  });

  test('a session ends at its absolute expiry even when it rotates every day', async () => {
    const short = await startAuthServer({ refreshTokenTtlSeconds: 10 * 24 * 3600 });
    try {
      const { tokens, key } = await loginWithProof(short, 'daily@example.com');
      let current = tokens.refreshToken!;
      for (let day = 1; day <= 9; day++) {
        short.clock.advance(DAY);
        const res = await refreshWithProof(short, current, key);
        assert.equal(res.status, 200, `day ${day}`);
        current = ((await res.json()) as Tokens).refreshToken!;
      }
      short.clock.advance(DAY);
      assert.equal((await refreshWithProof(short, current, key)).status, 401);
    } finally {
      await short.close();
    }
  });

  test('a session unused for 30 days ends (idle expiry), for proofs and for the addon signature', async () => {
    const { tokens, key } = await loginWithProof(server, 'idle@example.com');
    const legacy = await loginWithCode(server, 'idle-addon@example.com');
    server.clock.advance(30 * DAY - 1_000);
    const kept = await refreshWithProof(server, tokens.refreshToken!, key);
    assert.equal(kept.status, 200, 'just inside 30 days');
    server.clock.advance(30 * DAY + 1_000);
    assert.equal((await refreshWithProof(server, ((await kept.json()) as Tokens).refreshToken!, key)).status, 401);
    assert.equal((await refresh(server, legacy.tokens.refreshToken!, legacy.device, server.clock.now())).status, 401);
  });
});
