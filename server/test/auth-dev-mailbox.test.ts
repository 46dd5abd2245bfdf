/** The dev mailbox exists in dev mode only; /auth-providers says "OTP only". */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { postToken, readMailbox, requestCode, startAuthServer } from './helpers/auth-helpers.js';

test('the dev mailbox lists mails newest first, as JSON and as a page', async () => {
  const server = await startAuthServer();
  try {
    await requestCode(server, 'first@example.com');
    server.clock.advance(1_000);
    await requestCode(server, 'second@example.com');
    const mails = await readMailbox(server);
    assert.deepEqual(
      mails.map((m) => [m.to, m.subject, m.date]),
      [
        ['second@example.com', 'Your login code', new Date(server.clock.now()).toISOString()],
        ['first@example.com', 'Your login code', new Date(server.clock.now() - 1_000).toISOString()],
      ],
    );
    assert.deepEqual(Object.keys(mails[0]!).sort(), ['date', 'otp', 'subject', 'text', 'to']);
    assert.equal((await readMailbox(server, 'FIRST@example.com')).length, 1);

    const page = await fetch(`${server.url}/_dev/mailbox.html`);
    assert.equal(page.status, 200);
    assert.match(page.headers.get('content-type') ?? '', /^text\/html/);
    const html = await page.text();
    assert.ok(html.includes(mails[0]!.otp!) && html.includes('second@example.com'));
  } finally {
    await server.close();
  }
});

test('production mode has no dev mailbox, and still answers otp-sent', async () => {
  const server = await startAuthServer({ production: true, host: '127.0.0.1' });
  try {
    assert.equal((await fetch(`${server.url}/_dev/mailbox`)).status, 404);
    assert.equal((await fetch(`${server.url}/_dev/mailbox.html`)).status, 404);
    // No SMTP configured: the mail fails off the request path; the answer is the same.
    const res = await postToken(server, { grant_type: 'otp', email: 'prod@example.com', scopes: ['ACCESS_DB'] });
    assert.equal(res.status, 200);
    assert.equal(((await res.json()) as { type: string }).type, 'otp-sent');
  } finally {
    await server.close();
  }
});

test('GET /auth-providers offers the one-time code, no social providers and no token providers by default', async () => {
  const server = await startAuthServer();
  try {
    const res = await fetch(`${server.url}/auth-providers`);
    assert.equal(res.status, 200);
    assert.deepEqual(await res.json(), { providers: [], otpEnabled: true, tokenProviders: [], proofs: ['dpop+jwt'] });
  } finally {
    await server.close();
  }
});
