/**
 * Base64 helpers that run in browsers, workers and Node 20 alike (atob/btoa are global in all three).
 *
 * b64lex is base64 remapped onto an alphabet whose ASCII order equals the order of the bytes,
 * so encoded time-prefixed ids sort like their timestamps. Dexie Cloud uses it for typed arrays
 * in TSON and for generated primary keys; dxc must produce and read the same text.
 */

const STANDARD = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=';
const LEXICAL = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ_abcdefghijklmnopqrstuvwxyz|-';

const toLex = new Map<string, string>();
const fromLex = new Map<string, string>();
for (let i = 0; i < STANDARD.length; i++) {
  toLex.set(STANDARD[i]!, LEXICAL[i]!);
  fromLex.set(LEXICAL[i]!, STANDARD[i]!);
}

export function bytesToBase64(bytes: Uint8Array): string {
  let binary = '';
  const CHUNK = 0x8000; // String.fromCharCode's argument list has an engine limit
  for (let i = 0; i < bytes.length; i += CHUNK) {
    binary += String.fromCharCode(...bytes.subarray(i, i + CHUNK));
  }
  return btoa(binary);
}

export function base64ToBytes(base64: string): Uint8Array {
  const binary = atob(base64);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

export function bytesToB64lex(bytes: Uint8Array): string {
  const base64 = bytesToBase64(bytes);
  let out = '';
  for (const ch of base64) out += toLex.get(ch)!;
  return out;
}

export function b64lexToBytes(b64lex: string): Uint8Array {
  let base64 = '';
  for (const ch of b64lex) {
    const mapped = fromLex.get(ch);
    if (mapped === undefined) throw new TypeError(`Invalid b64lex character ${JSON.stringify(ch)}`);
    base64 += mapped;
  }
  return base64ToBytes(base64);
}
