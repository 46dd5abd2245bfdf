/**
 * Primary keys for `@` tables, in the addon's format so the server and other clients treat them
 * alike: `prefix + b64lex(6-byte ms timestamp + 12 random bytes) + shard`, where the shard is the
 * last 3 characters of the row's realm (or of the user id), and the timestamp never repeats so
 * that keys created by one client sort in creation order.
 */
import { bytesToB64lex, bytesToBase64 } from 'dxc/protocol';

/** Random bytes in each generated key (96 bits: collisions are not a practical concern). */
const RANDOM_BYTES = 12;

let lastTime = 0;

export function generateKey(prefix: string, shardKey: string): string {
  const time = Math.max(Date.now(), lastTime + 1);
  lastTime = time;
  const bytes = new Uint8Array(6 + RANDOM_BYTES);
  // 6-byte big-endian milliseconds: split because bitwise ops in JS are 32-bit.
  const high = Math.floor(time / 2 ** 32);
  const low = time >>> 0;
  bytes[0] = (high >>> 8) & 0xff;
  bytes[1] = high & 0xff;
  new DataView(bytes.buffer).setUint32(2, low);
  crypto.getRandomValues(bytes.subarray(6));
  return prefix + bytesToB64lex(bytes) + shardKey;
}

/** 128 random bits in base64: txids and client identities. */
export const randomId = (): string => bytesToBase64(crypto.getRandomValues(new Uint8Array(16)));

/** The shard suffix a key gets for a row in `realmOrUserId` (its last 3 characters). */
export function shardOf(realmOrUserId: string): string {
  return realmOrUserId.slice(-3);
}

/** A key the app may supply for an `@` table: it must carry the table's prefix (or `#prefix`). */
export function isValidGlobalKey(key: unknown, prefix: string): boolean {
  return typeof key === 'string' && (key.startsWith(prefix) || key.startsWith(`#${prefix}`));
}

/** Keys of synced tables: strings, or arrays of strings and numbers (the server's key types). */
export function isSyncableKey(key: unknown): boolean {
  if (typeof key === 'string') return true;
  return (
    Array.isArray(key) &&
    key.length > 0 &&
    key.every((part) => typeof part === 'string' || (typeof part === 'number' && Number.isFinite(part)))
  );
}

/** Private ids (`#name`) are per user: on the wire they carry the user id as a suffix. */
export function encodeKeyForServer(key: unknown, userId: string): string {
  if (Array.isArray(key)) return JSON.stringify(key);
  const text = key as string;
  return text.startsWith('#') ? `${text}:${userId}` : text;
}

export function decodeKeyFromServer(key: string, userId: string): unknown {
  if (key.startsWith('[') && key.endsWith(']')) {
    try {
      return JSON.parse(key) as unknown;
    } catch {
      return key;
    }
  }
  if (key.startsWith('#') && key.endsWith(`:${userId}`)) return key.slice(0, -(userId.length + 1));
  return key;
}
