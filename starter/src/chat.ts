/**
 * The chat room: messages live in IndexedDB and render from there, so they show offline, right
 * after writing (marked pending until the server has them), and live as other people write.
 */
import { liveQuery } from 'dexie';
import { db, pendingMessageIds, ROOM_REALM, type Message } from './db.js';
import { h, time } from './format.js';

/** Characters of one message. */
export const MAX_MESSAGE_LENGTH = 2000;
/** Messages shown (the most recent). */
export const SHOWN_MESSAGES = 200;

function displayName(): string {
  const user = db.cloud.currentUser.value;
  return user.name || user.email?.split('@')[0] || 'someone';
}

function renderMessage(message: Message, mine: boolean, pending: boolean): HTMLLIElement {
  const initial = (message.author.trim()[0] ?? '?').toUpperCase();
  return h(
    'li',
    { class: `message${mine ? ' mine' : ''}${pending ? ' pending' : ''}`, 'data-id': message.id },
    h('span', { class: 'avatar', 'aria-hidden': 'true' }, initial),
    h(
      'div',
      { class: 'bubble' },
      h('p', { class: 'meta' }, h('span', { class: 'author' }, mine ? 'You' : message.author), ' ', h('time', { datetime: new Date(message.at).toISOString() }, time(message.at))),
      h('p', { class: 'text' }, message.text),
      pending && h('p', { class: 'status' }, h('span', { class: 'status-dot', 'aria-hidden': 'true' }), 'Pending: goes out when the network is back'),
    ),
  );
}

export function mountChat(root: HTMLElement): void {
  const list = root.querySelector<HTMLOListElement>('.messages')!;
  const empty = root.querySelector<HTMLElement>('.empty')!;
  const form = root.querySelector<HTMLFormElement>('.composer')!;
  const input = form.querySelector<HTMLInputElement>('input')!;
  const send = form.querySelector<HTMLButtonElement>('button')!;
  const loginPrompt = root.querySelector<HTMLElement>('.chat-login')!;
  input.maxLength = MAX_MESSAGE_LENGTH;
  let loggedIn = false;
  let shown = 0;
  // The room's realm is readable only when logged in, so "no messages" means nothing to anonymous visitors.
  const showEmpty = () => (empty.hidden = shown > 0 || !loggedIn);

  db.cloud.currentUser.subscribe((user) => {
    loggedIn = user.isLoggedIn === true;
    form.hidden = !loggedIn;
    loginPrompt.hidden = loggedIn || user.isLoading === true;
    showEmpty();
  });
  loginPrompt.querySelector('button')!.addEventListener('click', () => void db.cloud.login().catch(() => {}));

  liveQuery(async () => {
    const messages = (await db.messages.orderBy('at').reverse().limit(SHOWN_MESSAGES).toArray()).reverse();
    return { messages, pending: await pendingMessageIds() };
  }).subscribe(({ messages, pending }) => {
    const me = db.cloud.currentUserId;
    const atBottom = list.scrollHeight - list.scrollTop - list.clientHeight < 40;
    list.replaceChildren(...messages.map((m) => renderMessage(m, m.owner === me, pending.has(m.id))));
    shown = messages.length;
    showEmpty();
    if (atBottom) list.scrollTop = list.scrollHeight;
  });

  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const text = input.value.trim();
    if (!text) return;
    input.value = '';
    send.disabled = true;
    const message: Message = { id: `msg-${crypto.randomUUID()}`, realmId: ROOM_REALM, text, at: Date.now(), author: displayName() };
    db.messages
      .add(message)
      .then(() => (list.scrollTop = list.scrollHeight))
      .finally(() => {
        send.disabled = false;
        input.focus();
      });
  });
}
