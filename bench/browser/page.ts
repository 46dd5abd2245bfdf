/**
 * The benchmark page: every contender in one bundle, one tab, driven by bench/*.ts through
 * `globalThis.bench`. Times are `performance.now()` in the page; nothing here asserts anything.
 */
import { Dexie, liveQuery } from 'dexie';
import dexieCloud from 'dexie-cloud-addon';
import PouchDB from 'pouchdb-browser';
import dxc from '../../src/client/index.js';
import { makeRows, type Row } from './rows.js';

export type Kind = 'dxc' | 'official';
type CloudDb = Dexie & { items: Dexie.Table<Row, string>; cloud: any };

/** Give up on a contender after this long rather than hang the run. @default 300000 ms */
const DEADLINE_MS = 300_000;

function unique(prefix: string): string {
  return `${prefix}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;
}

let databaseUrl: string | undefined;
async function config(): Promise<string> {
  databaseUrl ??= ((await (await fetch('/config')).json()) as { databaseUrl: string }).databaseUrl;
  return databaseUrl;
}

function checkDeadline(started: number, what: string): void {
  if (performance.now() - started > DEADLINE_MS) throw new Error(`${what}: gave up after ${DEADLINE_MS} ms`);
}

/** A synced database for `email`, logged in (tokens from the page origin's `/token`) and pulled. */
async function openCloud(kind: Kind, name: string, email: string, { login = true } = {}): Promise<CloudDb> {
  const db = new Dexie(name, { addons: [kind === 'dxc' ? (dxc as any) : dexieCloud] }) as CloudDb;
  db.version(1).stores({ items: '@id, n' });
  db.cloud.configure({
    databaseUrl: await config(),
    customLoginGui: true,
    requireAuth: false,
    fetchTokens: async ({ public_key }: { public_key: string }) => {
      const res = await fetch('/token', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ public_key, email }) });
      return res.json();
    },
  });
  await db.open();
  if (login) {
    await db.cloud.login();
    await db.cloud.sync({ purpose: 'pull', wait: true });
  }
  return db;
}

async function drop(...dbs: Dexie[]): Promise<void> {
  for (const db of dbs) {
    db.close();
    await Dexie.delete(db.name).catch(() => {});
  }
}

/** The first value of an observable that passes `predicate`. */
function first<T>(observable: { subscribe(fn: (v: T) => void): { unsubscribe(): void } }, predicate: (v: T) => boolean): Promise<T> {
  return new Promise((resolve) => {
    let done = false;
    const sub = observable.subscribe((value) => {
      if (done || !predicate(value)) return;
      done = true;
      queueMicrotask(() => sub.unsubscribe());
      resolve(value);
    });
  });
}

/** The floor: the same rows into IndexedDB with the raw API, one transaction (what bulkPut does). */
async function floorIdb(count: number): Promise<{ ms: number }> {
  const name = unique('floor');
  const rows = makeRows(count).map((row, i) => ({ ...row, id: `itm${i.toString(36).padStart(8, '0')}` }));
  const db = await new Promise<IDBDatabase>((resolve, reject) => {
    const req = indexedDB.open(name, 1);
    req.onupgradeneeded = () => req.result.createObjectStore('items', { keyPath: 'id' }).createIndex('n', 'n');
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error);
  });
  const t0 = performance.now();
  await new Promise<void>((resolve, reject) => {
    const tx = db.transaction('items', 'readwrite');
    const store = tx.objectStore('items');
    for (const row of rows) store.put(row);
    tx.oncomplete = () => resolve();
    tx.onerror = () => reject(tx.error);
  });
  const ms = performance.now() - t0;
  db.close();
  indexedDB.deleteDatabase(name);
  return { ms };
}

export interface Throughput {
  addMs: number;
  pushMs: number;
  pullMs: number;
  totalMs: number;
  rowsOnB: number;
}

/** A adds `count` rows, pushes them; B (same user, already synced) pulls until it has them all. */
async function cloudThroughput(kind: Kind, count: number): Promise<Throughput> {
  const email = `${unique(kind)}@example.com`.toLowerCase();
  const a = await openCloud(kind, unique(`${kind}-a`), email);
  const b = await openCloud(kind, unique(`${kind}-b`), email);
  try {
    const rows = makeRows(count);
    const t0 = performance.now();
    await a.items.bulkAdd(rows);
    const tAdded = performance.now();
    await a.cloud.sync({ purpose: 'push', wait: true });
    const tPushed = performance.now();
    let rowsOnB = await b.items.count();
    while (rowsOnB < count) {
      checkDeadline(t0, `${kind} pull`);
      await b.cloud.sync({ purpose: 'pull', wait: true });
      rowsOnB = await b.items.count();
    }
    const tPulled = performance.now();
    return { addMs: tAdded - t0, pushMs: tPushed - tAdded, pullMs: tPulled - tPushed, totalMs: tPulled - t0, rowsOnB };
  } finally {
    await drop(a, b);
  }
}

/** The same workload with PouchDB: local A → express-pouchdb → local B, default replication settings. */
async function pouchThroughput(count: number): Promise<Throughput> {
  const id = unique('pouch');
  const a = new PouchDB(`${id}-a`);
  const b = new PouchDB(`${id}-b`);
  const remote = new PouchDB(`${location.origin}/db/${id}`);
  try {
    await remote.info();
    const docs = makeRows(count).map((row, i) => ({ ...row, _id: `itm${i.toString(36).padStart(8, '0')}` }));
    const t0 = performance.now();
    await a.bulkDocs(docs);
    const tAdded = performance.now();
    await a.replicate.to(remote);
    const tPushed = performance.now();
    await b.replicate.from(remote);
    const tPulled = performance.now();
    const rowsOnB = (await b.info()).doc_count;
    return { addMs: tAdded - t0, pushMs: tPushed - tAdded, pullMs: tPulled - tPushed, totalMs: tPulled - t0, rowsOnB };
  } finally {
    await Promise.all([a.destroy(), b.destroy(), remote.destroy()].map((p) => p.catch(() => {})));
  }
}

/** A change that has not reached B after this long counts as lost. @default 10000 ms */
const ARRIVAL_TIMEOUT_MS = 10_000;
/** Stop a live run after this many lost changes: the contender does not propagate. @default 5 */
const MAX_LOST = 5;

/**
 * When `key` shows up in `db.items` (liveQuery: woken by the write itself, no polling), or
 * undefined after ARRIVAL_TIMEOUT_MS.
 */
function arrival(db: CloudDb, key: string): Promise<number | undefined> {
  return new Promise((resolve) => {
    let done = false;
    const timer = setTimeout(() => finish(undefined), ARRIVAL_TIMEOUT_MS);
    const sub = liveQuery(() => db.items.get(key)).subscribe((row) => {
      if (row) finish(performance.now());
    });
    function finish(t: number | undefined) {
      if (done) return;
      done = true;
      clearTimeout(timer);
      queueMicrotask(() => sub.unsubscribe());
      resolve(t);
    }
  });
}

/**
 * One change at a time on A; latency = from `add()` on A until B's database holds the row. With
 * `gapMs`, A waits that long after each arrival before the next change (a person's pace).
 */
async function livePropagation(kind: Kind, count: number, warmup = 20, gapMs = 0): Promise<{ latencies: number[]; lost: number }> {
  const email = `${unique(`${kind}-live`)}@example.com`.toLowerCase();
  const a = await openCloud(kind, unique(`${kind}-live-a`), email);
  const b = await openCloud(kind, unique(`${kind}-live-b`), email);
  try {
    await first(a.cloud.webSocketStatus, (s) => s === 'connected');
    await first(b.cloud.webSocketStatus, (s) => s === 'connected');
    const latencies: number[] = [];
    let lost = 0;
    const started = performance.now();
    for (let i = 0; i < count + warmup; i++) {
      checkDeadline(started, `${kind} live`);
      const t0 = performance.now();
      const key = (await a.items.add(makeRows(1, i)[0]!)) as string;
      const t1 = await arrival(b, key);
      if (t1 === undefined) {
        if (++lost >= MAX_LOST) break;
      } else if (i >= warmup) latencies.push(t1 - t0);
      if (gapMs) await new Promise((r) => setTimeout(r, gapMs));
      if ((i + 1) % 100 === 0) console.info(`progress: ${kind} live ${i + 1}/${count + warmup}, ${lost} lost, ${Math.round(performance.now() - started)} ms`);
    }
    return { latencies, lost };
  } finally {
    await drop(a, b);
  }
}

export interface InitialSync {
  ms: number;
  rows: number;
  /** Each syncState the client emitted: ms since login, phase, progress. */
  states: { t: number; phase: string; progress?: number }[];
}

/** A fresh client logs in as `email`, whose realm already holds rows, and syncs until it has `count`. */
async function initialSync(kind: Kind, email: string, count: number): Promise<InitialSync> {
  const db = await openCloud(kind, unique(`${kind}-initial`), email, { login: false });
  const states: InitialSync['states'] = [];
  let t0 = performance.now();
  const sub = db.cloud.syncState.subscribe((s: { phase: string; progress?: number }) => {
    states.push({ t: Math.round(performance.now() - t0), phase: s.phase, ...(s.progress !== undefined ? { progress: s.progress } : {}) });
  });
  try {
    t0 = performance.now();
    await db.cloud.login();
    let rows = await db.items.count();
    while (rows < count) {
      checkDeadline(t0, `${kind} initial sync`);
      await db.cloud.sync({ purpose: 'pull', wait: true });
      rows = await db.items.count();
    }
    return { ms: performance.now() - t0, rows, states };
  } finally {
    sub.unsubscribe();
    await drop(db);
  }
}

(globalThis as any).bench = { floorIdb, cloudThroughput, pouchThroughput, livePropagation, initialSync, makeRows };
