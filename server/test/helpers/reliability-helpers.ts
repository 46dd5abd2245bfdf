/**
 * Helpers for the reliability tests: a reference model of the server's merge rules, an outbox
 * client that resends like the addon, a TCP proxy that loses answers on purpose, a dxc-server run
 * as a child process (to SIGKILL it), and a fingerprint of what the server stores (to prove a
 * rejected request changed nothing).
 */
import Database from 'better-sqlite3';
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { DBOperation, DBOperationsSet, SyncResponse } from 'dxc/protocol';
import type { RunningServer } from '../../src/app.js';
import { freshDataDir } from './auth-helpers.js';
import { postSync, syncRequest, type TestUser } from './sync-helpers.js';

// ---------------------------------------------------------------------------------------------
// Reference model of the merge rules (push-plan.ts, stated independently)

export type ModelValue = Record<string, unknown>;

interface ModelRow {
  realmId: string;
  /** null: a tombstone. */
  value: ModelValue | null;
}

/** One client transaction: its txid and operations on table `table`. */
export interface ModelTransaction {
  readonly txid: string;
  readonly ops: readonly DBOperation[];
}

/**
 * What the server should hold: last writer wins per key in commit order; a key belongs to the
 * realm of its first writer forever (tombstones included, except for a key created and deleted
 * within one push, which leaves none); a transaction touching another
 * realm's key is refused whole; a txid applies once; update patches top-level fields (and
 * `@@propmod` add) of a live row and skips a missing one; delete of a missing row writes nothing.
 */
export class ReferenceModel {
  readonly rows = new Map<string, ModelRow>();
  private readonly applied = new Set<string>();

  /** Apply one push by `userId`; returns the txids refused. */
  push(userId: string, transactions: readonly ModelTransaction[]): string[] {
    const refused: string[] = [];
    const accepted = transactions.filter((tx) => {
      if (this.applied.has(`${userId}\u0000${tx.txid}`)) return false;
      const foreign = tx.ops.some((op) => op.keys.some((key) => {
        const row = this.rows.get(String(key));
        return row !== undefined && row.realmId !== userId;
      }));
      if (foreign) refused.push(tx.txid);
      return !foreign;
    });
    const absent = new Set(accepted.flatMap((tx) => tx.ops.flatMap((op) => op.keys.map(String))).filter((key) => !this.rows.has(key)));
    for (const tx of accepted) {
      this.applied.add(`${userId}\u0000${tx.txid}`);
      for (const op of tx.ops) this.apply(userId, op);
    }
    // A key created and deleted within one push leaves no tombstone (no reader ever saw it), so it
    // stays unclaimed: another user may create it later.
    for (const key of absent) if (this.rows.get(key)?.value === null) this.rows.delete(key);
    return refused;
  }

  private apply(userId: string, op: DBOperation): void {
    op.keys.forEach((rawKey, index) => {
      const key = String(rawKey);
      const row = this.rows.get(key);
      switch (op.type) {
        case 'insert':
        case 'upsert':
          this.rows.set(key, { realmId: userId, value: { ...(op.values[index] as ModelValue), realmId: userId, owner: userId } });
          return;
        case 'update': {
          if (!row?.value) return;
          for (const [field, next] of Object.entries(op.changeSpecs[index]!)) {
            const add = (next as { '@@propmod'?: { add?: number } } | null)?.['@@propmod']?.add;
            row.value[field] = add === undefined ? next : (row.value[field] as number) + add;
          }
          return;
        }
        case 'delete':
          if (row?.value) row.value = null;
          return;
        default:
          throw new Error(`the model does not generate ${op.type}`);
      }
    });
  }

  /** Live rows of `realmId`, key → value. */
  scope(realmId: string): Map<string, ModelValue> {
    const live = new Map<string, ModelValue>();
    for (const [key, row] of this.rows) if (row.value && row.realmId === realmId) live.set(key, row.value);
    return live;
  }
}

// ---------------------------------------------------------------------------------------------
// A client with an outbox, as the addon keeps one

/**
 * A protocol client that queues transactions while offline and pushes its whole outbox on each
 * sync, clearing it only once an answer arrives (so a lost answer means the same txids again).
 */
export class OutboxClient {
  readonly replica = new Map<string, ModelValue>();
  outbox: ModelTransaction[] = [];
  online = true;
  /** The cursor, as the addon keeps it in `$syncState`. */
  lastPull: { serverRevision: unknown; realms: string[]; inviteRealms: string[] } | undefined;
  dbId: string | undefined;

  constructor(
    public server: Pick<RunningServer, 'url'>,
    /** Replaced when the device refreshes its token. */
    public user: TestUser,
    readonly table = 'notes',
  ) {}

  write(tx: ModelTransaction): void {
    this.outbox.push(tx);
  }

  /** The request the client would send now. */
  request(): unknown {
    const changes: DBOperationsSet = this.outbox.length
      ? [{ table: this.table, muts: this.outbox.flatMap((tx) => tx.ops.map((op) => ({ ...op, txid: tx.txid }))) }]
      : [];
    return syncRequest({
      changes,
      ...(this.lastPull ? { lastPull: this.lastPull as never } : {}),
      ...(this.dbId ? { dbID: this.dbId } : {}),
    });
  }

  /** Push the outbox and pull; throws on a non-200 answer or a network error (outbox kept). */
  async sync(): Promise<SyncResponse> {
    const sent = this.outbox.length;
    const answer = await postSync(this.server as RunningServer, this.request(), { token: this.user.token });
    if (answer.status !== 200) throw new Error(`sync answered ${answer.status} ${JSON.stringify(answer.body)}`);
    const response = answer.body as SyncResponse;
    this.outbox = this.outbox.slice(sent);
    this.apply(response);
    return response;
  }

  /** Send the request but lose the answer: the server commits, the client learns nothing. */
  async syncLosingAnswer(): Promise<void> {
    const answer = await postSync(this.server as RunningServer, this.request(), { token: this.user.token });
    if (answer.status !== 200) throw new Error(`sync answered ${answer.status} ${JSON.stringify(answer.body)}`);
  }

  apply(response: SyncResponse): void {
    for (const { table, muts } of response.changes) {
      if (table !== this.table) continue;
      for (const mut of muts) {
        if (mut.type === 'upsert') mut.keys.forEach((key, i) => this.replica.set(String(key), mut.values[i] as ModelValue));
        else if (mut.type === 'delete') mut.keys.forEach((key) => this.replica.delete(String(key)));
        else throw new Error(`server sent ${mut.type}`);
      }
    }
    this.lastPull = { serverRevision: response.serverRevision, realms: response.realms, inviteRealms: response.inviteRealms };
    this.dbId = response.dbId;
  }

  /** The replica's rows whose key starts with `prefix`. */
  rowsWith(prefix: string): Map<string, ModelValue> {
    return new Map([...this.replica].filter(([key]) => key.startsWith(prefix)));
  }
}

/** Sorted entries, for deepEqual of maps regardless of insertion order. */
export function sorted(rows: Map<string, ModelValue>): [string, ModelValue][] {
  return [...rows].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}

// ---------------------------------------------------------------------------------------------
// What the server stores

/**
 * A hash of what the server stores: synced rows, the revision counter, applied txids, users and
 * sessions (SQLite backend; on PostgreSQL the revision alone, which every write moves).
 */
export async function storeFingerprint(server: RunningServer & { dataDir?: string }): Promise<string> {
  const file = server.dataDir ? path.join(server.dataDir, 'dxc.sqlite') : undefined;
  if (!file || !fs.existsSync(file)) return `revision ${await server.context.storage.data.currentRevision()}`;
  const db = new Database(file, { readonly: true, fileMustExist: true });
  try {
    const hash = createHash('sha256');
    for (const query of [
      'SELECT * FROM data_state',
      'SELECT tbl, key, realm_id, owner, value, revision FROM data_rows ORDER BY tbl, key',
      'SELECT user_id, txid, revision FROM data_applied_txids ORDER BY user_id, txid',
      'SELECT id, login_email FROM auth_users ORDER BY id',
      'SELECT id, user_id, refresh_token_hash, revoked_at FROM auth_sessions ORDER BY id',
    ]) {
      hash.update(JSON.stringify(db.prepare(query).raw().all()));
    }
    return hash.digest('hex');
  } finally {
    db.close();
  }
}

// ---------------------------------------------------------------------------------------------
// A proxy that loses answers

export interface LossyProxy {
  readonly url: string;
  /**
   * Lose the answer of the next request: as soon as its first byte comes back (so the server has
   * committed and answered), call `onAnswer` (e.g. to SIGKILL the server) and cut the client off.
   */
  loseNextAnswer(onAnswer?: () => void | Promise<void>): Promise<void>;
  close(): Promise<void>;
}

/** A TCP proxy on 127.0.0.1 in front of `target` (host:port). */
export async function startLossyProxy(targetPort: number): Promise<LossyProxy> {
  let pending: { onAnswer?: (() => void | Promise<void>) | undefined; done: () => void } | undefined;
  const sockets = new Set<net.Socket>();
  const server = net.createServer((client) => {
    const upstream = net.connect(targetPort, '127.0.0.1');
    sockets.add(client);
    sockets.add(upstream);
    client.on('close', () => sockets.delete(client));
    upstream.on('close', () => sockets.delete(upstream));
    client.on('error', () => upstream.destroy());
    upstream.on('error', () => client.destroy());
    client.on('data', (chunk) => upstream.write(chunk));
    client.on('end', () => upstream.end());
    upstream.on('end', () => client.end());
    upstream.on('data', (chunk) => {
      const losing = pending;
      if (!losing) {
        client.write(chunk);
        return;
      }
      pending = undefined;
      upstream.pause();
      void (async () => {
        await losing.onAnswer?.();
        client.destroy();
        upstream.destroy();
        losing.done();
      })();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    loseNextAnswer(onAnswer) {
      return new Promise<void>((done) => {
        pending = { onAnswer, done };
      });
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

// ---------------------------------------------------------------------------------------------
// dxc-server as a child process

/** The `dxc-server` command, as `node BIN …` runs it from the repository. */
export const BIN = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../bin/dxc-server.mjs');

/** A port that was free a moment ago. */
export async function freePort(): Promise<number> {
  const probe = net.createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as net.AddressInfo;
  await new Promise((resolve) => probe.close(resolve));
  return port;
}

export interface ChildServer {
  readonly url: string;
  readonly port: number;
  readonly dataDir: string;
  readonly process: ChildProcess;
  /** SIGKILL, and wait for the process to be gone. */
  kill(): Promise<void>;
}

export interface SpawnOptions {
  /** More `start` arguments, after the defaults (a repeated flag overrides: the last one counts). */
  readonly args?: readonly string[];
  /** More environment variables for the child, e.g. `DXC_*` settings. */
  readonly env?: NodeJS.ProcessEnv;
}

/**
 * `node server/bin/dxc-server.mjs start` on `port` and `dataDir` (dev mode, SQLite). With `port`
 * undefined no `--port` flag is passed, so the child picks its port from `options.env` or its
 * default; the returned URL is the one the child prints.
 */
export async function spawnServer(
  port: number | undefined,
  dataDir = freshDataDir(),
  options: SpawnOptions = {},
): Promise<ChildServer> {
  const env: NodeJS.ProcessEnv = { ...process.env, DXC_LOG_LEVEL: 'silent', NODE_ENV: 'development' };
  // The child runs the embedded SQLite backend in dev mode whatever the suite's environment says.
  delete env.DXC_DATABASE_URL;
  delete env.DXC_PRODUCTION;
  Object.assign(env, options.env);
  const portArgs = port === undefined ? [] : ['--port', String(port)];
  const child = spawn(process.execPath, [BIN, 'start', ...portArgs, '--host', '127.0.0.1', '--data', dataDir, ...(options.args ?? [])], {
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  let output = '';
  const url = await new Promise<string>((resolve, reject) => {
    child.stdout!.on('data', (chunk: Buffer) => {
      output += chunk;
      const running = /is running at (\S+)\n/.exec(output);
      if (running) resolve(running[1]!);
    });
    child.stderr!.on('data', (chunk: Buffer) => (output += chunk));
    child.once('exit', (code) => reject(new Error(`dxc-server exited with ${code}: ${output}`)));
  });
  return {
    url,
    port: Number(new URL(url).port),
    dataDir,
    process: child,
    async kill() {
      child.kill('SIGKILL');
      await exited;
    },
  };
}
