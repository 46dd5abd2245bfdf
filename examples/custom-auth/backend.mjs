/**
 * A small application backend with its own login, handing dxc tokens to the browser through
 * `fetchTokens` (the `client_credentials` grant of dxc-server). No dependencies: node:http only.
 *
 *   POST /login       {username, password}   → sets an HttpOnly, SameSite=Strict session cookie
 *   POST /logout                             → ends the app session
 *   POST /dxc-tokens  {public_key, hints?}   → the dxc token response, for the logged-in user only
 *   GET  /            the demo page (public/index.html)
 *
 * The dxc client secret stays here, never in the browser. Run it:
 *   dxc-server create-client --data ./dxc-data --name "custom-auth example" --out ./dxc-client.json
 *   DXC_URL=http://localhost:8787 DXC_CLIENT_FILE=./dxc-client.json node backend.mjs
 */
import { createHash, randomBytes, scryptSync, timingSafeEqual } from 'node:crypto';
import fs from 'node:fs';
import { createServer } from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** Bytes of a JSON request body this backend reads. */
const MAX_BODY_BYTES = 16 * 1024;
/** Lifetime of the app's own session cookie, seconds. */
const SESSION_TTL_SECONDS = 8 * 3600;

function hashPassword(password, salt = randomBytes(16)) {
  return { salt, hash: scryptSync(password, salt, 32) };
}

function passwordMatches(user, password) {
  const { hash } = hashPassword(password, user.salt);
  return timingSafeEqual(hash, user.hash);
}

async function readJson(req) {
  if (!/^application\/json\b/i.test(req.headers['content-type'] ?? '')) return undefined;
  let size = 0;
  const chunks = [];
  for await (const chunk of req) {
    size += chunk.length;
    if (size > MAX_BODY_BYTES) return undefined;
    chunks.push(chunk);
  }
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch {
    return undefined;
  }
}

function send(res, status, body, headers = {}) {
  res.writeHead(status, { 'Content-Type': 'application/json', 'Cache-Control': 'no-store', ...headers });
  res.end(JSON.stringify(body));
}

function cookieValue(req, name) {
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const [key, ...rest] = part.trim().split('=');
    if (key === name) return rest.join('=');
  }
  return undefined;
}

/**
 * Start the backend. `users` maps a username to `{id, password, email, name}`; `secureCookies`
 * adds `Secure` and the `__Host-` prefix (use it behind https).
 */
export async function startCustomAuthBackend({ dxcUrl, clientId, clientSecret, users, port = 3000, host = '127.0.0.1', secureCookies = false, log = console.log }) {
  const accounts = new Map(
    Object.entries(users).map(([username, { password, ...profile }]) => [username, { ...profile, ...hashPassword(password) }]),
  );
  const dummy = hashPassword('not a password');
  const sessions = new Map(); // session id → {username, expiresAt}
  const cookieName = secureCookies ? '__Host-app-session' : 'app-session';
  const cookieFlags = `Path=/; HttpOnly; SameSite=Strict${secureCookies ? '; Secure' : ''}`;
  const publicDir = path.join(path.dirname(fileURLToPath(import.meta.url)), 'public');
  const page = fs.readFileSync(path.join(publicDir, 'index.html'), 'utf8').replaceAll('%DXC_URL%', dxcUrl);
  const appScript = fs.readFileSync(path.join(publicDir, 'app.js'), 'utf8');
  // No inline script runs except the import map, allowed by its hash (CSP is what keeps injected
  // script from using the device key; see docs/security.md). esm.sh serves Dexie for the demo only.
  const importMap = /<script type="importmap">([\s\S]*?)<\/script>/.exec(page)[1];
  const importMapHash = createHash('sha256').update(importMap).digest('base64');
  const dxcOrigin = new URL(dxcUrl).origin;
  const pageCsp = [
    "default-src 'self'",
    `script-src 'self' 'sha256-${importMapHash}' https://esm.sh`,
    `connect-src 'self' ${dxcOrigin} ${dxcOrigin.replace(/^http/, 'ws')}`,
    "object-src 'none'",
    "base-uri 'none'",
  ].join('; ');

  function currentUser(req) {
    const id = cookieValue(req, cookieName);
    const session = id && sessions.get(id);
    if (!session || session.expiresAt < Date.now()) return undefined;
    return { username: session.username, ...accounts.get(session.username) };
  }

  const server = createServer(async (req, res) => {
    try {
      const url = new URL(req.url ?? '/', 'http://localhost');
      if (req.method === 'GET' && url.pathname === '/') {
        res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8', 'Content-Security-Policy': pageCsp });
        return res.end(page);
      }
      if (req.method === 'GET' && url.pathname === '/app.js') {
        res.writeHead(200, { 'Content-Type': 'text/javascript; charset=utf-8' });
        return res.end(appScript);
      }
      if (req.method !== 'POST') return send(res, 404, { error: 'not-found' });

      if (url.pathname === '/login') {
        const body = await readJson(req);
        const account = typeof body?.username === 'string' ? accounts.get(body.username) : undefined;
        // Hash even for unknown users, so timing does not tell which usernames exist.
        const ok = passwordMatches(account ?? dummy, String(body?.password ?? '')) && account !== undefined;
        if (!ok) return send(res, 401, { error: 'invalid-login' });
        const id = randomBytes(32).toString('base64url');
        sessions.set(id, { username: body.username, expiresAt: Date.now() + SESSION_TTL_SECONDS * 1000 });
        return send(res, 200, { ok: true }, { 'Set-Cookie': `${cookieName}=${id}; ${cookieFlags}; Max-Age=${SESSION_TTL_SECONDS}` });
      }

      if (url.pathname === '/logout') {
        sessions.delete(cookieValue(req, cookieName));
        return send(res, 200, { ok: true }, { 'Set-Cookie': `${cookieName}=; ${cookieFlags}; Max-Age=0` });
      }

      if (url.pathname === '/dxc-tokens') {
        // JSON only: a cross-site form cannot send it, and SameSite=Strict keeps the cookie home.
        const body = await readJson(req);
        const user = currentUser(req);
        if (!user) return send(res, 401, { error: 'login-required' });
        if (typeof body?.public_key !== 'string') return send(res, 400, { error: 'public_key required' });
        const answer = await fetch(`${dxcUrl}/token`, {
          method: 'POST',
          headers: { 'Content-Type': 'application/json' },
          body: JSON.stringify({
            grant_type: 'client_credentials',
            client_id: clientId,
            client_secret: clientSecret,
            scopes: ['ACCESS_DB'],
            // Mint for the logged-in user only, whatever the browser's hints say.
            claims: { sub: user.id, email: user.email, name: user.name },
            public_key: body.public_key,
          }),
        });
        if (answer.status !== 200) {
          log(`dxc-server refused to mint tokens for ${user.id}: ${answer.status}`);
          return send(res, 502, { error: 'dxc-unavailable' });
        }
        log(`minted dxc tokens for ${user.id}`);
        return send(res, 200, await answer.json());
      }
      return send(res, 404, { error: 'not-found' });
    } catch (error) {
      log(`request failed: ${error?.message}`);
      if (!res.headersSent) send(res, 500, { error: 'internal' });
    }
  });
  await new Promise((resolve) => server.listen(port, host, resolve));
  const address = server.address();
  return {
    url: `http://${host}:${address.port}`,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

// `node backend.mjs`: configuration from the environment, one demo user.
if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const client = JSON.parse(fs.readFileSync(process.env.DXC_CLIENT_FILE ?? './dxc-client.json', 'utf8'));
  const backend = await startCustomAuthBackend({
    dxcUrl: process.env.DXC_URL ?? 'http://localhost:8787',
    clientId: client.client_id,
    clientSecret: client.client_secret,
    port: Number(process.env.PORT ?? 3000),
    users: {
      ann: { id: 'ann', password: process.env.DEMO_PASSWORD ?? 'correct horse battery staple', email: 'ann@example.com', name: 'Ann' },
    },
  });
  console.log(`custom-auth example on ${backend.url} (user "ann")`);
}
