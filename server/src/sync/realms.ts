/**
 * Who may read and write which realm. dxc-server implements the minimum of Dexie Cloud's access
 * model (protocol.md §4): every user owns one private realm whose id is their user id, and the
 * public realm `rlm-public` is readable by everyone and written by nobody through `/sync`.
 *
 * One narrow, configured extension stands in for shared realms until members and roles exist: the
 * *open realm* (`openRealm` + `openRealmTables`, e.g. the starter's chat room). Every logged-in
 * user reads it, and may add rows to its listed tables and change or delete the rows they own.
 * Anonymous callers neither read nor write it. Shared realms (members, roles, invites) come later;
 * until then a row outside the caller's own realm and the open realm is read-only for them.
 */
import { PUBLIC_REALM } from 'dxc/protocol';
import type { ServerConfig } from '../config.js';
import type { Principal } from '../context.js';

/** The configured open realm: its id and the tables logged-in users may write in it. */
export interface OpenRealm {
  readonly realmId: string;
  readonly tables: ReadonlySet<string>;
}

/** Where a push by one user may write. */
export interface WriteScope {
  /** The writer's user id, which is also their private realm. */
  readonly userId: string;
  readonly open?: OpenRealm;
}

/** The open realm the configuration names, if any. */
export function openRealmOf(config: Pick<ServerConfig, 'openRealm' | 'openRealmTables'>): OpenRealm | undefined {
  if (!config.openRealm) return undefined;
  return { realmId: config.openRealm, tables: new Set(config.openRealmTables) };
}

/** Realms whose rows the caller receives, in the order `/sync` reports them. */
export function readableRealms(principal: Principal, open?: OpenRealm): string[] {
  if (principal.kind !== 'user') return [PUBLIC_REALM];
  return open ? [principal.userId, PUBLIC_REALM, open.realmId] : [principal.userId, PUBLIC_REALM];
}

/** Where the caller may write, or undefined for anonymous callers (who write nothing). */
export function writeScope(principal: Principal, open?: OpenRealm): WriteScope | undefined {
  if (principal.kind !== 'user') return undefined;
  return open ? { userId: principal.userId, open } : { userId: principal.userId };
}

/** Whether `scope` may put rows of `table` into `realmId`. */
export function mayWriteRealm(scope: WriteScope, table: string, realmId: string): boolean {
  if (realmId === scope.userId) return true;
  return scope.open !== undefined && realmId === scope.open.realmId && scope.open.tables.has(table);
}
