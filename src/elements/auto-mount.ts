/**
 * The default login GUI. While the client's default database does not set `customLoginGui: true`,
 * one `<dxc-login>` (marked `data-dxc-auto`) lives at the end of `document.body`, bound to the
 * default db, so that `db.cloud.login()` shows a dialog with no app code. It is not added when the
 * page already has a `<dxc-login>` in the document, and it is removed again when the default db
 * changes to one with `customLoginGui: true`. Importing `dxc/elements` (or loading `dist/dxc.js`)
 * runs this; importing single elements (`dxc/elements/dxc-login`) does not.
 */
import { defaultDb, onDefaultDbChange } from './default-db.js';
import './dxc-login.js';

/** Adds or removes the automatic `<dxc-login>` to match the current default db. */
export function syncDefaultLogin(): void {
  const db = defaultDb();
  const auto = document.querySelector('dxc-login[data-dxc-auto]');
  if (!db || db.cloud.options?.customLoginGui) {
    auto?.remove();
  } else if (!document.querySelector('dxc-login')) {
    const login = document.createElement('dxc-login');
    login.setAttribute('data-dxc-auto', '');
    document.body.append(login);
  }
}

if (typeof document !== 'undefined') {
  const run = () => (document.body ? syncDefaultLogin() : document.addEventListener('DOMContentLoaded', syncDefaultLogin, { once: true }));
  run();
  onDefaultDbChange(run);
}
