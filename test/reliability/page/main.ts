/**
 * The page the browser reliability tests drive: one dxc database with a synced `notes` table,
 * and `window.rel`, the handles the Playwright tests call. Logs in through `fetchTokens`, which
 * the test exposes as `window.mintTokens` (an app backend minting tokens with client_credentials).
 * Bundled with esbuild (conditions `source`) by the test.
 */
import { add, Dexie } from 'dexie';
import dxc from '../../../src/client/index.js';

interface Note {
  id: string;
  n?: number;
  text?: string;
  by?: string;
}
type NotesDb = Dexie & { notes: Dexie.Table<Note, string> };

declare global {
  interface Window {
    mintTokens(params: Record<string, unknown>): Promise<any>;
    rel: typeof rel;
  }
}

let db: NotesDb | undefined;
const syncBodySizes: number[] = [];
const current = (): NotesDb => {
  if (!db) throw new Error('call rel.open() first');
  return db;
};

const rel = {
  /** Open (and log in, unless already) database `name` on `databaseUrl`. */
  async open(name: string, databaseUrl: string): Promise<void> {
    db = new Dexie(name, { addons: [dxc] }) as NotesDb;
    db.version(1).stores({ notes: 'id' });
    db.cloud.configure({ databaseUrl, customLoginGui: true, fetchTokens: (params) => window.mintTokens(params as never) });
    await db.open();
    if (!db.cloud.currentUser.getValue().isLoggedIn) await db.cloud.login();
  },
  async loggedIn(): Promise<boolean> {
    return current().cloud.currentUser.getValue().isLoggedIn === true;
  },
  /** Write rows `prefix0..prefix<count-1>`, one transaction each; resolves with how many committed. */
  async writeMany(prefix: string, count: number, size = 0): Promise<number> {
    const filler = 'x'.repeat(size);
    let done = 0;
    for (let i = 0; i < count; i++) {
      await current().notes.put({ id: `${prefix}${i}`, text: filler, n: i });
      done++;
      (window as unknown as { written: number }).written = done;
    }
    return done;
  },
  /** Write until a write fails (at most `max` rows); returns the error seen, or name 'none'. */
  async writeUntilFailure(prefix: string, size: number, max: number): Promise<{ written: number; name: string; message: string; inner?: string }> {
    for (let i = 0; i < max; i++) {
      // Random text: IndexedDB compresses values, so a repeated character would never fill the quota.
      const filler = randomText(size);
      try {
        await current().notes.put({ id: `${prefix}${i}`, text: filler });
      } catch (error) {
        const e = error as Error & { inner?: Error };
        return { written: i, name: e.name, message: e.message, ...(e.inner ? { inner: e.inner.name } : {}) };
      }
    }
    return { written: max, name: 'none', message: '' };
  },
  /** From now on, record the body size (bytes) of every `/sync` request that reaches the server (see `syncBodies`). */
  watchSyncBodies(): void {
    const send = window.fetch;
    window.fetch = async (input, init) => {
      const response = await send(input, init);
      if (String(input instanceof Request ? input.url : input).endsWith('/sync')) syncBodySizes.push(new Blob([init?.body as BlobPart]).size);
      return response;
    };
  },
  syncBodies(): number[] {
    return syncBodySizes;
  },
  async addTo(id: string, times: number): Promise<void> {
    for (let i = 0; i < times; i++) await current().notes.update(id, { n: add(1) });
  },
  async put(note: Note): Promise<void> {
    await current().notes.put(note);
  },
  async update(id: string, changes: Partial<Note>): Promise<void> {
    await current().notes.update(id, changes);
  },
  async remove(id: string): Promise<void> {
    await current().notes.delete(id);
  },
  /** Every local row, sorted by key, without the fields the server fills in. */
  async rows(): Promise<Note[]> {
    return current().notes.orderBy('id').toArray();
  },
  /** The keys the outbox holds operations for. */
  async outboxKeys(): Promise<string[]> {
    const ops = (await current().table('$notes_mutations').toArray()) as { keys: string[] }[];
    return [...new Set(ops.flatMap((op) => op.keys.map(String)))].sort();
  },
  async pending(): Promise<number> {
    return current().table('$notes_mutations').count();
  },
  /** Push and pull once, and wait for it. */
  async sync(): Promise<void> {
    await current().cloud.sync({ purpose: 'pull', wait: true });
  },
  syncError(): string | undefined {
    const state = current().cloud.syncState.getValue();
    return state.phase === 'error' ? `${state.error?.name}: ${state.error?.message}` : undefined;
  },
  /** What `db.cloud.userInteraction` asks the user now: its type and alerts, or undefined. */
  interaction(): { type: string; alerts: { messageCode: string; messageParams: Record<string, string> }[] } | undefined {
    const asked = current().cloud.userInteraction.getValue();
    return asked && { type: asked.type, alerts: asked.alerts.map(({ messageCode, messageParams }) => ({ messageCode, messageParams })) };
  },
  close(): void {
    current().close();
  },
};

window.rel = rel;

/** Base64 of `size` random bytes (getRandomValues fills at most 64 KiB per call). */
function randomText(size: number): string {
  let binary = '';
  for (let done = 0; done < size; done += 65536) {
    binary += String.fromCharCode(...crypto.getRandomValues(new Uint8Array(Math.min(65536, size - done))));
  }
  return btoa(binary);
}
