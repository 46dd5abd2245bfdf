/**
 * The client's default database (the most recently configured one), seen through the elements'
 * structural types. The only module of the elements that imports the client.
 */
import { getDefaultDb, onDefaultDbChange as onClientDefaultDbChange } from '../client/registry.js';
import type { DxcDbLike } from './cloud-like.js';

export function defaultDb(): DxcDbLike | undefined {
  return getDefaultDb();
}

/** Calls `listener` with each new default db; returns the function that stops it. */
export function onDefaultDbChange(listener: (db: DxcDbLike | undefined) => void): () => void {
  return onClientDefaultDbChange(listener);
}
