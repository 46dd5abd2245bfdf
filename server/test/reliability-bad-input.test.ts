/**
 * Bad-input fuzzing (research/reliability.md (c), invariant I8): more than 10,000 generated
 * malformed requests to `/sync` (with and without a token), `/token` and the `/changes`
 * WebSocket. No answer is a 5xx, every refusal is a typed 4xx (`{error: "<code>"}`), the process
 * keeps serving, and no refused request changes what the server stores.
 *
 * Generation is seeded (printed; replay with DXC_FUZZ_SEED=<seed>).
 */
import assert from 'node:assert/strict';
import { gzipSync } from 'node:zlib';
import { after, before, describe, test } from 'node:test';
import fc from 'fast-check';
import { decodeTson, encodeTson } from 'dxc/protocol';
import { storeFingerprint, OutboxClient } from './helpers/reliability-helpers.js';
import { loginUser, openChanges, SCHEMA, startSyncServer, syncRequest, type TestServer, type TestUser } from './helpers/sync-helpers.js';
import { FUZZ_SEED } from './helpers/fuzz-seed.js';

const SEED = FUZZ_SEED;
/** Requests per surface; together well over 10,000. */
const SYNC_REQUESTS = Number(process.env.DXC_FUZZ_SYNC ?? 5200);
const TOKEN_REQUESTS = Number(process.env.DXC_FUZZ_TOKEN ?? 3000);
const WS_FRAMES = Number(process.env.DXC_FUZZ_WS ?? 2200);
const WS_UPGRADES = 200;

const TYPED_ERROR = /^[a-z][a-z0-9_-]*$/;

let server: TestServer;
let alice: TestUser;
let fingerprint: string;
const tally = { sent: 0, refused: 0, accepted: 0 };

before(async () => {
  server = await startSyncServer();
  alice = await loginUser(server, 'fuzz@example.com');
  const device = new OutboxClient(server, alice);
  device.write({ txid: 'seed', ops: [{ type: 'upsert', keys: ['n-1', 'n-2'], values: [{ id: 'n-1', count: 1 }, { id: 'n-2' }] }] });
  await device.sync();
  fingerprint = await storeFingerprint(server);
  console.log(`reliability-bad-input: fast-check seed ${SEED}`);
});
after(async () => {
  console.log(`reliability-bad-input: ${tally.sent} requests, ${tally.refused} refused with a typed 4xx, ${tally.accepted} accepted`);
  assert.ok(tally.sent >= 10_000, `at least 10,000 generated requests (sent ${tally.sent})`);
  await server.close();
});

/** Check one HTTP answer: never 5xx; a refusal is typed and left the store as it was. */
async function judge(res: Response, what: string): Promise<void> {
  tally.sent++;
  const text = await res.text();
  assert.ok(res.status < 500, `${what} answered ${res.status}: ${text.slice(0, 300)}`);
  if (res.status >= 400) {
    tally.refused++;
    let body: { error?: unknown };
    try {
      body = JSON.parse(text);
    } catch {
      assert.fail(`${what} answered ${res.status} with a body that is not JSON: ${text.slice(0, 200)}`);
    }
    assert.match(String(body.error), TYPED_ERROR, `${what}: typed error code`);
    assert.equal(await storeFingerprint(server), fingerprint, `${what} was refused and changed nothing`);
  } else {
    tally.accepted++;
    fingerprint = await storeFingerprint(server);
  }
}

/** Values of every shape, including ones TSON and the validators must refuse. */
const anything = fc.anything({ maxDepth: 3, withNullPrototype: true, withBoxedValues: true, withObjectString: true });
const nasty = fc.oneof(
  anything,
  fc.constantFrom('__proto__', 'constructor', 'prototype', '\u0000', '\ud800', 'x'.repeat(600), '$t', '', '[', '{"$t":"Foo","v":1}'),
  fc.constantFrom(-1, 1e308, Number.MAX_SAFE_INTEGER + 2, 0.5, true, null, [], {}),
);

/** A valid push, then one field replaced by something generated. */
function mutatedSync(): fc.Arbitrary<string> {
  const base = (): Record<string, any> =>
    syncRequest({
      changes: [{ table: 'notes', muts: [{ type: 'update', keys: ['n-1'], changeSpecs: [{ count: 2 }], txid: 't' }] }],
    }) as unknown as Record<string, any>;
  const paths: ((r: Record<string, any>, v: unknown) => void)[] = [
    (r, v) => (r.v = v),
    (r, v) => (r.schema = v),
    (r, v) => (r.changes = v),
    (r, v) => (r.baseRevs = v),
    (r, v) => (r.lastPull = v),
    (r, v) => (r.lastPull = { serverRevision: v, realms: [], inviteRealms: [] }),
    (r, v) => (r.dbID = v),
    (r, v) => (r.changes[0].table = v),
    (r, v) => (r.changes[0].muts = v),
    (r, v) => (r.changes[0].muts[0].type = v),
    (r, v) => (r.changes[0].muts[0].keys = v),
    (r, v) => (r.changes[0].muts[0].keys = [v]),
    (r, v) => (r.changes[0].muts[0].changeSpecs = v),
    (r, v) => (r.changes[0].muts[0].changeSpecs = [{ count: { '@@propmod': v } }]),
    (r, v) => (r.changes[0].muts[0] = { type: 'upsert', keys: ['n-3'], values: [v], txid: 'u' }),
    (r, v) => (r.changes[0].muts[0] = { type: 'modify', keys: ['n-1'], criteria: v, changeSpec: { a: 1 }, txid: 'm' }),
    (r, v) => (r.changes[0].muts[0].txid = v),
    (r, v) => (r.changes[0].muts[0] = v),
    (r, v) => (r.schema = { ...SCHEMA, [typeof v === 'string' ? v : typeof v]: { markedForSync: true } }),
  ];
  return fc.tuple(fc.integer({ min: 0, max: paths.length - 1 }), nasty).map(([i, v]) => {
    const request = base();
    paths[i]!(request, v);
    return textOf(request);
  });
}

/** TSON of `value`, or JSON when TSON refuses it, or a marker when neither can write it. */
function textOf(value: unknown): string {
  try {
    return encodeTson(value);
  } catch {
    try {
      return JSON.stringify(value) ?? 'undefined';
    } catch {
      return '{"unwritable":true}';
    }
  }
}

/** Text that is not a valid request: garbage, JSON of any shape, deep nesting, forbidden keys. */
const rawText = fc.oneof(
  fc.string({ maxLength: 200 }),
  fc.string({ unit: 'binary', maxLength: 200 }),
  fc.json({ maxDepth: 4 }),
  fc.integer({ min: 33, max: 3000 }).map((depth) => '['.repeat(depth) + ']'.repeat(depth)),
  fc.integer({ min: 33, max: 500 }).map((depth) => '{"a":'.repeat(depth) + '1' + '}'.repeat(depth)),
  fc.constantFrom(
    '{"__proto__":{"admin":true},"v":3}',
    '{"constructor":{"prototype":{}}}',
    '{"v":3,"schema":{"$t":"Unknown","v":1}}',
    // Objects that throw when turned into a string (found by this fuzzer: it crashed the server).
    '{"type":{"toString":1}}',
    '{"type":"ready","rev":{"toString":1,"valueOf":1},"realmSetHash":{"toString":1}}',
  ),
  mutatedSync().map((text) => text.slice(0, Math.max(1, text.length - 3))),
);

const syncBody = fc.oneof({ weight: 3, arbitrary: mutatedSync() }, { weight: 2, arbitrary: rawText });

interface SyncCase {
  body: string;
  token: 'none' | 'valid' | 'garbage';
  header: 'tson' | 'json' | 'text' | 'gzip-garbage' | 'unknown-encoding';
}
const syncCase: fc.Arbitrary<SyncCase> = fc.record({
  body: syncBody,
  token: fc.constantFrom('none', 'valid', 'valid', 'valid', 'garbage'),
  header: fc.constantFrom('tson', 'tson', 'tson', 'json', 'text', 'gzip-garbage', 'unknown-encoding'),
});

function sendSync({ body, token, header }: SyncCase, garbageToken: string): Promise<Response> {
  const headers: Record<string, string> = {
    'Content-Type': header === 'json' ? 'application/json' : header === 'text' ? 'text/plain' : 'application/tson',
  };
  if (token === 'valid') headers.Authorization = `Bearer ${alice.token}`;
  if (token === 'garbage') headers.Authorization = garbageToken;
  let payload: string | Uint8Array = body;
  if (header === 'gzip-garbage') {
    headers['Content-Encoding'] = 'gzip';
    payload = gzipSync(body).subarray(0, 12);
  }
  if (header === 'unknown-encoding') headers['Content-Encoding'] = 'x-fuzz';
  return fetch(`${server.url}/sync`, { method: 'POST', headers, body: payload });
}

/** Whether a text frame is a ping the server answers (so the test knows how many pongs come). */
function pingOf(frame: string): boolean {
  try {
    const message = decodeTson(frame) as { type?: unknown } | null;
    return typeof message === 'object' && message !== null && message.type === 'ping';
  } catch {
    return false;
  }
}

describe('bad input fuzzing', () => {
  // Timeouts here only stop a hang from stalling the suite; nothing is timed.
  test(`POST /sync: ${SYNC_REQUESTS} generated malformed requests`, { timeout: 240_000 }, async () => {
    const cases = fc.sample(fc.tuple(syncCase, fc.oneof(fc.string(), fc.constant('Bearer a.b.c'), fc.constant('Basic eA=='))), {
      seed: SEED,
      numRuns: SYNC_REQUESTS,
    });
    for (const [index, [c, garbageToken]] of cases.entries()) {
      await judge(await sendSync(c, garbageToken.replace(/[^\x20-\x7e]/g, '') || 'x'), `sync #${index} ${JSON.stringify(c).slice(0, 200)}`);
    }
  });

  test('POST /sync: oversized and decompression-bomb bodies are 413 and change nothing', async () => {
    const big = 'x'.repeat(2 * 1024 * 1024);
    await judge(await fetch(`${server.url}/sync`, { method: 'POST', headers: { 'Content-Type': 'application/tson' }, body: big }), 'anonymous 2 MiB');
    const bomb = gzipSync(Buffer.alloc(8 * 1024 * 1024, 0x20));
    const res = await fetch(`${server.url}/sync`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/tson', 'Content-Encoding': 'gzip' },
      body: bomb,
    });
    assert.equal(res.status, 413);
    await judge(res, 'gzip bomb');
  });

  const grantTypes = ['otp', 'refresh_token', 'client_credentials', 'urn:ietf:params:oauth:grant-type:token-exchange', 'demo', 'password', ''];
  const tokenBody = fc.oneof(
    rawText,
    fc
      .record(
        {
          grant_type: fc.oneof(fc.constantFrom(...grantTypes), nasty),
          email: fc.oneof(fc.emailAddress(), nasty, fc.constant('a'.repeat(300) + '@x.io')),
          scopes: fc.oneof(fc.constant(['ACCESS_DB']), nasty),
          otp: fc.oneof(fc.string({ maxLength: 20 }), nasty),
          otp_id: fc.oneof(fc.string(), nasty),
          refresh_token: fc.oneof(fc.string(), nasty, fc.constant('r'.repeat(9000))),
          signature: nasty,
          time_stamp: nasty,
          public_key: fc.oneof(fc.string(), nasty),
          client_id: nasty,
          client_secret: nasty,
          subject_token: nasty,
          provider: nasty,
        },
        { requiredKeys: ['grant_type'] },
      )
      .map((body) => {
        // Keep the rate limits of real OTP sends out of the way: a fuzzed request never names a
        // well-formed address (those get 200 and send mail, which is not bad input).
        if (typeof body.email === 'string' && /^[^@\s]+@[^@\s]+$/.test(body.email) && body.email.length < 254) body.email += '@';
        return textOf(body);
      }),
  );

  test(`POST /token: ${TOKEN_REQUESTS} generated malformed requests`, { timeout: 240_000 }, async () => {
    const cases = fc.sample(fc.tuple(tokenBody, fc.constantFrom('application/json', 'text/plain', 'application/x-www-form-urlencoded')), {
      seed: SEED + 1,
      numRuns: TOKEN_REQUESTS,
    });
    for (const [index, [body, type]] of cases.entries()) {
      const res = await fetch(`${server.url}/token`, { method: 'POST', headers: { 'Content-Type': type }, body });
      await judge(res, `token #${index} ${body.slice(0, 200)}`);
    }
  });

  test(`WebSocket /changes: ${WS_FRAMES} generated malformed frames and ${WS_UPGRADES} bad upgrades`, { timeout: 120_000 }, async () => {
    const socket = await openChanges(server, { token: alice.token });
    const replies: any[] = [];
    const frames = fc.sample(
      fc.oneof(
        rawText,
        fc.record({ type: fc.oneof(fc.constantFrom('ready', 'ping', 'subscribe', 'changes', ''), nasty), rev: nasty, realmSetHash: nasty }).map(textOf),
        fc.uint8Array({ maxLength: 64 }),
      ),
      { seed: SEED + 2, numRuns: WS_FRAMES },
    );
    for (const frame of frames) {
      socket.ws.send(frame);
      tally.sent++;
    }
    // Pings among the generated frames answer too; the pong of the ping sent last, then of one more
    // sent after it (a later read), mean every frame was handled.
    let pongs = frames.filter((frame) => typeof frame === 'string' && pingOf(frame)).length + 1;
    socket.send({ type: 'ping' });
    for (let round = 0; round < 2; round++) {
      while (pongs > 0) {
        const message = await socket.next();
        replies.push(message);
        if (message?.type === 'pong') pongs--;
      }
      if (round === 0) {
        pongs = 1;
        socket.send({ type: 'ping' });
      }
    }
    for (const reply of replies) {
      assert.ok(['error', 'pong', 'realms-changed', 'changes'].includes(reply?.type), `unexpected reply ${JSON.stringify(reply)}`);
      if (reply.type === 'error') assert.match(String(reply.error), TYPED_ERROR);
    }
    assert.equal(socket.ws.readyState, socket.ws.OPEN, 'the socket survived every malformed frame');
    await socket.close();
    assert.equal(await storeFingerprint(server), fingerprint);

    const upgrades = fc.sample(
      fc.record({
        path: fc.constantFrom('/changes', '//changes', '/changes/x', '/nope', '/sync'),
        token: fc.oneof(fc.string({ maxLength: 100 }), fc.constant('a.b.c'), fc.constant('x'.repeat(9000))),
      }),
      { seed: SEED + 3, numRuns: WS_UPGRADES },
    );
    for (const { path, token } of upgrades) {
      tally.sent++;
      const status = await new Promise<number>((resolve) => {
        openChanges(server, { path, token: token || 'x' }).then(
          (s) => s.close().then(() => resolve(101)),
          (error: Error) => resolve(Number(/answered (\d+)/.exec(error.message)?.[1] ?? 0)),
        );
      });
      assert.ok(status === 101 || (status >= 400 && status < 500), `upgrade ${path} answered ${status}`);
    }
    assert.equal(await storeFingerprint(server), fingerprint);
  });

  test('WebSocket /changes: frames whose fields cannot be turned into strings get a typed error', async () => {
    const socket = await openChanges(server, { token: alice.token });
    for (const frame of ['{"type":{"toString":1}}', '{"type":{"toString":1,"valueOf":1}}']) {
      socket.ws.send(frame);
      tally.sent++;
      const reply = await socket.next();
      assert.equal(reply.type, 'error');
      assert.match(String(reply.error), TYPED_ERROR);
    }
    socket.send({ type: 'ping' });
    assert.equal((await socket.next()).type, 'pong', 'the socket and the process are still up');
    await socket.close();
  });

  test('WebSocket /changes: a frame over the message limit closes the socket with 1009', async () => {
    const socket = await openChanges(server, { token: alice.token });
    socket.ws.send('x'.repeat(1024 * 1024 + 1));
    tally.sent++;
    assert.equal((await socket.closed).code, 1009);
  });

  test('the server still serves a normal sync after all of it', async () => {
    const device = new OutboxClient(server, alice);
    await device.sync();
    assert.equal(device.replica.get('n-1')!.count !== undefined, true);
  });
});
