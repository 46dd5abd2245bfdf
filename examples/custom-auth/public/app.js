// The demo's browser part: Dexie + the addon, with fetchTokens asking the app's backend.
import Dexie from 'dexie';
import dexieCloud from 'dexie-cloud-addon';

const db = new Dexie('custom-auth-demo', { addons: [dexieCloud] });
db.version(1).stores({ todos: '@id, title' });
db.cloud.configure({
  databaseUrl: document.querySelector('meta[name=dxc-url]').content,
  requireAuth: false,
  // The app's own backend mints dxc tokens for whoever is logged in to the app (cookie).
  fetchTokens: async (tokenParams) => {
    const res = await fetch('/dxc-tokens', {
      method: 'POST',
      credentials: 'same-origin',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify(tokenParams),
    });
    if (!res.ok) throw new Error(`Log in to the app first (${res.status})`);
    return res.json();
  },
});

const status = document.querySelector('#status');
const list = document.querySelector('#todos');
const render = async () => {
  list.replaceChildren(...(await db.todos.toArray()).map((t) => Object.assign(document.createElement('li'), { textContent: t.title })));
};
Dexie.liveQuery(() => db.todos.toArray()).subscribe(render);

document.querySelector('#login').addEventListener('submit', async (event) => {
  event.preventDefault();
  const form = new FormData(event.target);
  const res = await fetch('/login', {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ username: form.get('username'), password: form.get('password') }),
  });
  if (!res.ok) return (status.value = 'Wrong user or password');
  await db.cloud.login(); // calls fetchTokens
  status.value = `Syncing as ${db.cloud.currentUserId}`;
  document.querySelector('#add').hidden = false;
});
document.querySelector('#add').addEventListener('submit', async (event) => {
  event.preventDefault();
  const title = new FormData(event.target).get('title');
  if (title) await db.todos.add({ title });
  event.target.reset();
});
