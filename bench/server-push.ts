/**
 * How long dxc-server takes to accept a 10,000-row push, and to hand those rows to another device.
 * Real server, real SQLite (WAL, synchronous=FULL) in a temp directory, real HTTP on loopback.
 * Prints figures; asserts nothing.
 *
 *   cd /work/main && node --import tsx --conditions=source bench/server-push.ts [rows] [runs]
 */
import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { decodeTson, encodeTson, type SyncResponse } from 'dxc/protocol';
import { loginUser, startSyncServer, syncRequest } from '../server/test/helpers/sync-helpers.js';

const rows = Number(process.argv[2] ?? 10_000);
const runs = Number(process.argv[3] ?? 3);

const server = await startSyncServer();
try {
  const user = await loginUser(server, 'bench@example.com');
  const post = async (body: string) => {
    const res = await fetch(`${server.url}/sync`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/tson', Authorization: `Bearer ${user.token}` },
      body,
    });
    const text = await res.text();
    if (res.status !== 200) throw new Error(`${res.status} ${text.slice(0, 200)}`);
    return { text, response: decodeTson(text) as SyncResponse };
  };
  const { response: first } = await post(encodeTson(syncRequest()));
  let lastPull = { serverRevision: first.serverRevision, realms: first.realms, inviteRealms: first.inviteRealms };

  for (let run = 1; run <= runs; run++) {
    // Rows shaped like the addon's: an @id key, a few fields, realmId and owner filled in.
    const keys = Array.from({ length: rows }, () => `itm${randomBytes(18).toString('base64url')}`);
    const values = keys.map((id, i) => ({
      id,
      title: `Item number ${i}`,
      done: i % 3 === 0,
      tags: ['bench', `t${i % 10}`],
      createdAt: new Date(),
      realmId: user.userId,
      owner: user.userId,
    }));
    const body = encodeTson(
      syncRequest({
        lastPull,
        changes: [{ table: 'items', muts: [{ type: 'insert', keys, values, txid: randomBytes(16).toString('base64') }] }],
      }),
    );
    const t0 = performance.now();
    const { response } = await post(body);
    const pushMs = performance.now() - t0;
    lastPull = { serverRevision: response.serverRevision, realms: response.realms, inviteRealms: response.inviteRealms };

    // A device that has seen nothing yet: a full snapshot of the realm.
    const t1 = performance.now();
    const { text } = await post(encodeTson(syncRequest()));
    const pullMs = performance.now() - t1;

    console.log(
      `run ${run}: push of ${rows} rows (${(body.length / 1024 / 1024).toFixed(1)} MiB TSON) ${pushMs.toFixed(0)} ms; ` +
        `full pull of ${rows * run} rows (${(text.length / 1024 / 1024).toFixed(1)} MiB) ${pullMs.toFixed(0)} ms`,
    );
  }
} finally {
  await server.close();
}
