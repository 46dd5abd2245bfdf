/**
 * Who may read and write which realm. dxc-server implements the minimum of Dexie Cloud's access
 * model (protocol.md §4): every user owns one private realm whose id is their user id, and the
 * public realm `rlm-public` is readable by everyone and written by nobody through `/sync`.
 * Shared realms (members, roles, invites) come later; until then a row outside the caller's own
 * realm is read-only for them.
 */
import { PUBLIC_REALM } from 'dxc/protocol';
import type { Principal } from '../context.js';

/** Realms whose rows the caller receives, in the order `/sync` reports them. */
export function readableRealms(principal: Principal): string[] {
  return principal.kind === 'user' ? [principal.userId, PUBLIC_REALM] : [PUBLIC_REALM];
}

/** The one realm the caller may write, or undefined for anonymous callers (who write nothing). */
export function writableRealm(principal: Principal): string | undefined {
  return principal.kind === 'user' ? principal.userId : undefined;
}

