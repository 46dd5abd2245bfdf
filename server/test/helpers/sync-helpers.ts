/**
 * Helpers for the sync tests: a real server, users logged in through the real `/token` OTP flow,
 * `/sync` requests in TSON, a tiny protocol client that keeps a replica and its cursor the way
 * the addon does, and a WebSocket reader for `/changes`.
 */
import { randomBytes } from 'node:crypto';
import {
  decodeTson,
  encodeTson,
  type DBOperation,
  type DBOperationsSet,
  type DexieCloudSchema,
  type SyncRequest,
  type SyncResponse,
} from 'dxc/protocol';
import WebSocket from 'ws';
import type { RunningServer } from '../../src/app.js';
import type { ServerConfig } from '../../src/config.js';
import { loginWithCode, startAuthServer, type TestServer } from './auth-helpers.js';

export type { TestServer };

/** A schema like the addon sends: synced tables, the built-in realm tables and local `$` tables. */
export const SCHEMA: DexieCloudSchema = {
  items: { generatedGlobalId: true, idPrefix: 'itm', markedForSync: true },
  notes: { markedForSync: true },
  members: { generatedGlobalId: true, idPrefix: 'mmb', markedForSync: true },
  roles: { markedForSync: true },
  realms: { generatedGlobalId: true, idPrefix: 'rlm', markedForSync: true },
  $jobs: {},
  $syncState: {},
};

export function startSyncServer(overrides: Partial<ServerConfig> = {}): Promise<TestServer> {
  return startAuthServer(overrides);
}

export interface TestUser {
  readonly userId: string;
  readonly token: string;
  readonly expiresAt: number;
}

/** Log in through the real OTP flow (code read from the dev mailbox). */
export async function loginUser(server: RunningServer, email: string): Promise<TestUser> {
  const { tokens } = await loginWithCode(server, email);
  return { userId: tokens.claims.sub, token: tokens.accessToken, expiresAt: tokens.accessTokenExpiration };
}

export function newTxid(): string {
  return randomBytes(16).toString('base64');
}

export function syncRequest(partial: Partial<SyncRequest> = {}): SyncRequest {
  return { v: 3, schema: SCHEMA, baseRevs: [], changes: [], ...partial };
}

export interface PostOptions {
  token?: string | undefined;
  headers?: Record<string, string>;
}

export interface SyncAnswer {
  readonly status: number;
  /** The decoded TSON response (200) or the JSON error body. */
  readonly body: any;
}

/** POST `/sync` with a TSON body (or raw text/bytes as given). */
export async function postSync(
  server: RunningServer,
  body: unknown,
  { token, headers = {} }: PostOptions = {},
): Promise<SyncAnswer> {
  const payload = typeof body === 'string' || body instanceof Uint8Array ? body : encodeTson(body);
  const res = await fetch(`${server.url}/sync`, {
    method: 'POST',
    headers: {
      'Content-Type': 'application/tson',
      Accept: 'application/json',
      ...(token ? { Authorization: `Bearer ${token}` } : {}),
      ...headers,
    },
    body: payload,
  });
  const text = await res.text();
  return { status: res.status, body: res.status === 200 ? decodeTson(text) : JSON.parse(text) };
}

/** Operation builders; each gets its own txid unless one is given. */
export const op = {
  insert: (keys: string[], values: object[], txid = newTxid()): DBOperation => ({ type: 'insert', keys, values, txid }),
  upsert: (keys: string[], values: object[], txid = newTxid(), changeSpecs?: (Record<string, unknown> | null)[]) =>
    ({ type: 'upsert', keys, values, txid, ...(changeSpecs ? { changeSpecs } : {}) }) as DBOperation,
  update: (keys: string[], changeSpecs: Record<string, unknown>[], txid = newTxid()): DBOperation => ({
    type: 'update',
    keys,
    changeSpecs,
    txid,
  }),
  modify: (keys: string[], changeSpec: Record<string, unknown>, txid = newTxid()): DBOperation => ({
    type: 'modify',
    keys,
    criteria: { index: 'done', range: { type: 1, lower: false } },
    changeSpec,
    txid,
  }),
  delete: (keys: string[], txid = newTxid()): DBOperation => ({ type: 'delete', keys, txid }),
};

export function changes(table: string, ...muts: DBOperation[]): DBOperationsSet {
  return [{ table, muts }];
}

/**
 * A minimal protocol client: it sends its cursor like the addon (`lastPull`, `dbID`), applies
 * `upsert`/`delete` answers to an in-memory replica and keeps the latest response.
 */
export class ProtocolClient {
  readonly replica = new Map<string, Map<string, any>>();
  lastPull: SyncRequest['lastPull'];
  dbId: string | undefined;
  last: SyncResponse | undefined;

  constructor(
    readonly server: RunningServer,
    readonly user?: TestUser,
  ) {}

  /** Sync (push `changeSet`, pull) and return the response; throws on a non-200 answer. */
  async sync(changeSet: DBOperationsSet = []): Promise<SyncResponse> {
    const request = syncRequest({
      changes: changeSet,
      ...(this.lastPull ? { lastPull: this.lastPull } : {}),
      ...(this.dbId ? { dbID: this.dbId } : {}),
    });
    const answer = await postSync(this.server, request, { token: this.user?.token });
    if (answer.status !== 200) throw new Error(`sync answered ${answer.status} ${JSON.stringify(answer.body)}`);
    const response = answer.body as SyncResponse;
    this.apply(response.changes);
    this.lastPull = { serverRevision: response.serverRevision, realms: response.realms, inviteRealms: response.inviteRealms };
    this.dbId = response.dbId;
    this.last = response;
    return response;
  }

  apply(set: DBOperationsSet<string>): void {
    for (const { table, muts } of set) {
      let rows = this.replica.get(table);
      if (!rows) this.replica.set(table, (rows = new Map()));
      for (const mut of muts) {
        if (mut.type === 'upsert') mut.keys.forEach((key, i) => rows!.set(key, mut.values[i]));
        else if (mut.type === 'delete') mut.keys.forEach((key) => rows!.delete(key));
        else throw new Error(`server sent ${mut.type}`);
      }
    }
  }

  row(table: string, key: string): any {
    return this.replica.get(table)?.get(key);
  }

  keys(table: string): string[] {
    return [...(this.replica.get(table)?.keys() ?? [])].sort();
  }
}

/** Every operation type in a response's changes (to check the server never sends `insert`). */
export function operationTypes(set: DBOperationsSet<string>): string[] {
  return [...new Set(set.flatMap(({ muts }) => muts.map((m) => m.type)))].sort();
}

/** A `/changes` WebSocket that queues the server's messages for the test to read in order. */
export class SocketReader {
  private readonly queue: any[] = [];
  private readonly waiters: ((message: any) => void)[] = [];
  readonly closed: Promise<{ code: number; reason: string }>;
  readonly opened: Promise<void>;

  constructor(readonly ws: WebSocket) {
    ws.on('message', (data) => {
      const message = decodeTson(data.toString());
      const waiter = this.waiters.shift();
      if (waiter) waiter(message);
      else this.queue.push(message);
    });
    this.opened = new Promise((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('unexpected-response', (_req, res) => reject(new Error(`upgrade answered ${res.statusCode}`)));
      ws.once('error', reject);
    });
    this.closed = new Promise((resolve) => ws.once('close', (code, reason) => resolve({ code, reason: reason.toString() })));
  }

  /** The next message from the server (waits for it). */
  next(): Promise<any> {
    const queued = this.queue.shift();
    if (queued !== undefined) return Promise.resolve(queued);
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  /** Messages received and not read yet. */
  pending(): number {
    return this.queue.length;
  }

  send(message: unknown): void {
    this.ws.send(encodeTson(message));
  }

  close(): Promise<{ code: number; reason: string }> {
    this.ws.close();
    return this.closed;
  }
}

/** Open `/changes` (or `path`) with the addon's query parameters. */
export async function openChanges(
  server: RunningServer,
  { token, path = '/changes', rev }: { token?: string | undefined; path?: string; rev?: string } = {},
): Promise<SocketReader> {
  const params = new URLSearchParams({ v: '3', realmsHash: 'hash', clientId: 'test-client' });
  if (rev) params.set('rev', rev);
  if (token) params.set('token', token);
  const reader = new SocketReader(new WebSocket(`${server.url.replace(/^http/, 'ws')}${path}?${params}`));
  await reader.opened;
  return reader;
}
