/**
 * The default database: the one most recently configured. `<dxc-login>` and
 * `<dxc-sync-indicator>` bind to it when they are given no `.db` property and find no context, so
 * a plain `<script type=module>` app needs no wiring.
 */
import type { Dexie } from 'dexie';

type Listener = (db: Dexie | undefined) => void;

let defaultDb: Dexie | undefined;
const listeners = new Set<Listener>();

export function getDefaultDb(): Dexie | undefined {
  return defaultDb;
}

/** Call `listener` whenever the default db changes; returns the unsubscribe function. */
export function onDefaultDbChange(listener: Listener): () => void {
  listeners.add(listener);
  return () => void listeners.delete(listener);
}

export function setDefaultDb(db: Dexie | undefined): void {
  if (db === defaultDb) return;
  defaultDb = db;
  for (const listener of [...listeners]) listener(db);
}
