/** Rate limits on the login endpoints: 429 with Retry-After, counted in the database. */
import assert from 'node:assert/strict';
import { afterEach, test } from 'node:test';
import {
  createDeviceKey,
  latestCode,
  postToken,
  requestCode,
  startAuthServer,
  submitCode,
  type TestServer,
} from './helpers/auth-helpers.js';

let server: TestServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

const sendCode = (s: TestServer, email: string) => postToken(s, { grant_type: 'otp', email, scopes: ['ACCESS_DB'] });

test('sends at most 5 codes per address per 15 minutes, then answers 429 with Retry-After', async () => {
  server = await startAuthServer();
  server.clock.set(Date.UTC(2030, 0, 1, 12, 0, 0)); // the start of a 15-minute window
  for (let i = 0; i < 5; i++) assert.equal((await sendCode(server, 'many@example.com')).status, 200);
  server.clock.advance(60_000);
  const refused = await sendCode(server, 'many@example.com');
  assert.equal(refused.status, 429);
  assert.equal(refused.headers.get('retry-after'), String(14 * 60));
  assert.equal(((await refused.json()) as { error: string }).error, 'rate-limited');
  // Other addresses are not affected, and the address works again once the window has passed.
  assert.equal((await sendCode(server, 'someone-else@example.com')).status, 200);
  server.clock.advance(14 * 60_000);
  assert.equal((await sendCode(server, 'many@example.com')).status, 200);
});

test('sends at most 30 codes per IP per hour', async () => {
  server = await startAuthServer();
  server.clock.set(Date.UTC(2030, 0, 1, 12, 0, 0));
  for (let i = 0; i < 30; i++) assert.equal((await sendCode(server, `user${i}@example.com`)).status, 200);
  const refused = await sendCode(server, 'user-31@example.com');
  assert.equal(refused.status, 429);
  assert.equal(refused.headers.get('retry-after'), '3600');
});

test('checks at most 10 codes per IP per minute, and a refused check spends no attempt', async () => {
  server = await startAuthServer();
  server.clock.set(Date.UTC(2030, 0, 1, 12, 0, 0));
  const device = await createDeviceKey();
  const emails = ['a@example.com', 'b@example.com', 'c@example.com'];
  const ids = [];
  for (const email of emails) ids.push(await requestCode(server, email));
  for (let i = 0; i < 10; i++) {
    const n = i % 2; // never more than 5 wrong attempts on one code
    assert.equal((await submitCode(server, emails[n]!, ids[n]!, 'x', device)).status, 401);
  }
  const code = await latestCode(server, 'c@example.com');
  const refused = await submitCode(server, 'c@example.com', ids[2]!, code, device);
  assert.equal(refused.status, 429);
  assert.equal(refused.headers.get('retry-after'), '60');
  server.clock.advance(60_000);
  assert.equal((await submitCode(server, 'c@example.com', ids[2]!, code, device)).status, 200);
});

test('keeps rate-limit counters across a restart', async () => {
  server = await startAuthServer();
  const { dataDir, clock } = server;
  clock.set(Date.UTC(2030, 0, 1, 12, 0, 0));
  for (let i = 0; i < 5; i++) assert.equal((await sendCode(server, 'persist@example.com')).status, 200);
  await server.close();
  server = await startAuthServer({ dataDir }, { clock });
  assert.equal((await sendCode(server, 'persist@example.com')).status, 429);
});
