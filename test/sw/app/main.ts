/**
 * The app shell the service worker tests build with vite.config.ts: a chat whose messages live in
 * a dxc database, rendered from IndexedDB (so a load while offline shows what the worker synced),
 * plus `window.app`, the handles the Playwright tests drive. The database URL and options are kept
 * in localStorage, so an offline reload reopens the same database.
 */
import { add, Dexie, liveQuery } from 'dexie';
import dxc, { type DxcOptions, type DXCUserInteraction } from '../../../src/client/index.js';
import { postSyncMessage, registerWorker, type SyncMessageReply } from '../../../src/sw/index.js';

interface Message {
  id: string;
  text: string;
  at: number;
  /** A counter that only `bump` changes. */
  n?: number;
}
type ChatDb = Dexie & { messages: Dexie.Table<Message, string> };
type AppOptions = Pick<DxcOptions, 'databaseUrl' | 'tryUseServiceWorker' | 'periodicSync'>;

const CONFIG_KEY = 'dxc-sw-test-config';
const version = (import.meta.env.VITE_APP_VERSION as string | undefined) ?? 'dev';
document.querySelector('#version')!.textContent = version;

const params = new URLSearchParams(location.search);
const useWorker = !params.has('no-sw');
// `?worker=/no-sync-sw.js` registers a worker that never loads the sync bundle (public/).
const registered = useWorker
  ? registerWorker(params.get('worker') ?? '/sw.js', {
      onUpdateReady(accept) {
        const button = document.querySelector<HTMLButtonElement>('#update')!;
        button.hidden = false;
        button.onclick = accept;
      },
    })
  : Promise.resolve(undefined);

let db: ChatDb | undefined;

function open(options: AppOptions): ChatDb {
  localStorage.setItem(CONFIG_KEY, JSON.stringify(options));
  const chat = new Dexie('chat', { addons: [dxc] }) as ChatDb;
  chat.version(1).stores({ messages: 'id, at' });
  chat.cloud.configure({ customLoginGui: true, ...options });
  liveQuery(() => chat.messages.orderBy('at').toArray()).subscribe((messages) => {
    document.querySelector('#messages')!.replaceChildren(
      ...messages.map((m) => Object.assign(document.createElement('li'), { textContent: m.text })),
    );
  });
  return chat;
}

function current(): ChatDb {
  if (!db) throw new Error('call app.open() first');
  return db;
}

function next(type: DXCUserInteraction['type']): Promise<DXCUserInteraction> {
  return new Promise((resolve) => {
    const sub = current().cloud.userInteraction.subscribe((ui) => {
      if (ui?.type !== type) return;
      queueMicrotask(() => sub.unsubscribe());
      resolve(ui);
    });
  });
}

async function latestOtp(email: string): Promise<string | undefined> {
  const res = await fetch(`${current().cloud.options!.databaseUrl}/_dev/mailbox?to=${encodeURIComponent(email)}`);
  const mails = (await res.json()) as { otp: string | null }[];
  return mails[0]?.otp ?? undefined;
}

const saved = localStorage.getItem(CONFIG_KEY);
if (saved) db = open(JSON.parse(saved) as AppOptions);

const app = {
  version,
  /** Resolves once the worker registration call returned (true when a worker is used). */
  registered: registered.then((wb) => !!wb),
  async open(options: AppOptions): Promise<string> {
    db?.close();
    db = open(options);
    await db.open();
    return db.name;
  },
  async login(email: string): Promise<void> {
    const chat = current();
    const before = await latestOtp(email);
    const done = chat.cloud.login();
    (await next('email')).onSubmit({ email });
    const prompt = await next('otp');
    let otp: string | undefined;
    while ((otp = await latestOtp(email)) === before) await new Promise((r) => setTimeout(r, 50));
    prompt.onSubmit({ otp: otp! });
    await done;
  },
  async send(text: string): Promise<string> {
    const id = `msg-${crypto.randomUUID()}`;
    await current().messages.add({ id, text, at: Date.now() });
    return id;
  },
  /** Add 1 to message `id`'s counter `n` with Dexie's `add()`: an additive update the server executes. */
  async bump(id: string): Promise<void> {
    if (!(await current().messages.update(id, { n: add(1) }))) throw new Error(`no message ${id} here to bump`);
  },
  /** Every message as stored here, by id. */
  async rows(): Promise<Message[]> {
    return current().messages.orderBy('id').toArray();
  },
  async texts(): Promise<string[]> {
    return (await current().messages.orderBy('at').toArray()).map((m) => m.text);
  },
  async pending(): Promise<number> {
    return current().table('$messages_mutations').count();
  },
  usingServiceWorker(): boolean {
    return current().cloud.usingServiceWorker;
  },
  userId(): string {
    return current().cloud.currentUserId;
  },
  async sync(purpose: 'push' | 'pull' = 'push'): Promise<void> {
    await current().cloud.sync({ purpose, wait: true });
  },
  async syncTags(): Promise<string[]> {
    const registration = await navigator.serviceWorker.getRegistration();
    return (await registration?.sync?.getTags()) ?? [];
  },
  async periodicTags(): Promise<string[]> {
    const registration = await navigator.serviceWorker.getRegistration();
    return (await registration?.periodicSync?.getTags()) ?? [];
  },
  /** Ask the worker by message (the fallback path) to sync a database (this one by default). */
  async askWorker(purpose: 'push' | 'pull', dbName = current().name): Promise<SyncMessageReply | undefined> {
    const registration = await navigator.serviceWorker.ready;
    return postSyncMessage(registration, dbName, purpose);
  },
  close(): void {
    db?.close();
  },
};

declare global {
  interface Window {
    app: typeof app;
  }
}
window.app = app;
