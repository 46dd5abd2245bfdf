/**
 * The NOTIFY payload that tells every node about a commit: `{"n": node, "r": revision, "m": realms}`.
 * PostgreSQL caps a payload below 8000 bytes, so a commit that touched many realms is announced in
 * several notifications with the same revision, each naming some of its realms.
 */

/** Largest payload we send, in bytes; PostgreSQL refuses 8000 and more. @default 7000 */
export const MAX_NOTIFY_PAYLOAD_BYTES = 7000;

export interface CommitNotice {
  readonly nodeId: string;
  readonly revision: number;
  readonly realms: readonly string[];
}

/** Bytes kept free for the revision, which the database fills in (`{"r":` and up to 16 digits). */
const REVISION_ROOM_BYTES = 24;

/**
 * The payloads announcing a commit that touched `realms`, each without its revision: the push
 * statement prepends `{"r":<revision>` once it has taken the revision (see data-store.ts), so the
 * notification needs no extra round trip. Realms are spread over as many payloads as needed.
 */
export function notificationSuffixes(nodeId: string, realms: readonly string[]): string[] {
  const encode = (part: readonly string[]) => `,"n":${JSON.stringify(nodeId)},"m":${JSON.stringify(part)}}`;
  const emptySize = Buffer.byteLength(encode([])) + REVISION_ROOM_BYTES;
  const suffixes: string[] = [];
  let part: string[] = [];
  let size = emptySize;
  for (const realm of realms) {
    // Each realm adds its JSON string and a comma.
    const added = Buffer.byteLength(JSON.stringify(realm)) + 1;
    if (part.length > 0 && size + added > MAX_NOTIFY_PAYLOAD_BYTES) {
      suffixes.push(encode(part));
      part = [];
      size = emptySize;
    }
    part.push(realm);
    size += added;
  }
  if (part.length > 0) suffixes.push(encode(part));
  return suffixes;
}

/** The complete payloads for a commit of `revision`, as the database assembles them. */
export function notificationPayloads(nodeId: string, revision: number, realms: readonly string[]): string[] {
  return notificationSuffixes(nodeId, realms).map((suffix) => `{"r":${revision}${suffix}`);
}

/** The notice in a payload, or undefined for anything else on the channel. */
export function parseNotification(payload: string | undefined): CommitNotice | undefined {
  if (payload === undefined) return undefined;
  try {
    const data = JSON.parse(payload) as { n?: unknown; r?: unknown; m?: unknown };
    if (typeof data.n !== 'string' || !Number.isSafeInteger(data.r) || !Array.isArray(data.m)) return undefined;
    if (!data.m.every((realm) => typeof realm === 'string')) return undefined;
    return { nodeId: data.n, revision: data.r as number, realms: data.m as string[] };
  } catch {
    return undefined;
  }
}
