/**
 * The dev mailbox: the last mails the server "sent" in dev mode, kept in memory, newest first.
 * `GET /_dev/mailbox` serves them as JSON (`?to=` filters by recipient) for tests and tools, and
 * `GET /_dev/mailbox.html` as a page for people. app.ts mounts these routes only outside
 * production, and the mailer only creates the mailbox there.
 */
import { Hono } from 'hono';
import type { ServerContext } from '../context.js';
import type { OutgoingMail } from './mailer.js';

/** Mails kept by the dev mailbox; older ones are dropped. @default 200 */
export const DEV_MAILBOX_CAPACITY = 200;

export interface DevMail {
  readonly to: string;
  readonly subject: string;
  readonly text: string;
  readonly otp: string | null;
  /** ISO 8601. */
  readonly date: string;
}

export class DevMailbox {
  readonly #mails: DevMail[] = [];

  add(mail: OutgoingMail): void {
    this.#mails.unshift({
      to: mail.to,
      subject: mail.subject,
      text: mail.text,
      otp: mail.otp ?? null,
      date: new Date(mail.date ?? Date.now()).toISOString(),
    });
    this.#mails.length = Math.min(this.#mails.length, DEV_MAILBOX_CAPACITY);
  }

  /** Newest first, optionally only those sent to `to` (compared case-insensitively). */
  list(to?: string): DevMail[] {
    const wanted = to?.trim().toLowerCase();
    return wanted ? this.#mails.filter((mail) => mail.to === wanted) : [...this.#mails];
  }
}

const escapeHtml = (text: string): string =>
  text.replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);

function renderPage(mails: DevMail[]): string {
  const items = mails
    .map(
      (m) => `<article><header><strong>${escapeHtml(m.subject)}</strong> to ${escapeHtml(m.to)}
<time>${escapeHtml(m.date)}</time></header>${m.otp ? `<p class="otp">${escapeHtml(m.otp)}</p>` : ''}
<pre>${escapeHtml(m.text)}</pre></article>`,
    )
    .join('\n');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width">
<title>dxc dev mailbox</title>
<style>
body{font:15px/1.4 system-ui,sans-serif;max-width:46rem;margin:2rem auto;padding:0 1rem;color:#222}
article{border:1px solid #ccc;border-radius:.5rem;padding:.75rem 1rem;margin:1rem 0}
time{color:#777;font-size:.85em;margin-left:.5rem}.otp{font:700 1.6rem ui-monospace,monospace;letter-spacing:.2em;margin:.5rem 0}
pre{white-space:pre-wrap;margin:0;color:#444}
</style></head><body>
<h1>Dev mailbox</h1>
<p>Mails this dxc-server sent in dev mode, newest first. Reload to see new ones. Not available with <code>--prod</code>.</p>
${items || '<p><em>No mail yet.</em></p>'}
</body></html>`;
}

export function devMailboxRoutes(context: ServerContext): Hono {
  const routes = new Hono();
  const mailbox = context.mailer.mailbox;
  if (!mailbox) return routes;
  routes.get('/_dev/mailbox', (c) => {
    c.header('Cache-Control', 'no-store');
    return c.json(mailbox.list(c.req.query('to')));
  });
  routes.get('/_dev/mailbox.html', (c) => {
    c.header('Cache-Control', 'no-store');
    return c.html(renderPage(mailbox.list(c.req.query('to'))));
  });
  return routes;
}
