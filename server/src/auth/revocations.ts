/**
 * Ending sessions, and closing the live sockets that belong to them. Revocation itself is in the
 * AuthStore (so every node's token checks see it at once); this module also closes this node's
 * `/changes` sockets of the session or user right away. Sockets on other nodes stop at their
 * access token's expiry: they get `token-expired`, and the refresh that follows is refused.
 */
import type { Principal, ServerContext } from '../context.js';
import type { AuthStore } from '../storage/auth-store.js';

/** WebSocket close code for a revoked session (1008: policy violation). */
export const REVOKED_SOCKET_CLOSE_CODE = 1008;

/** The part of a `ws` WebSocket this module uses. */
export interface ClosableSocket {
  close(code: number, reason: string): void;
  once(event: 'close', listener: () => void): unknown;
}

export interface Revocations {
  /** End one session; true if it was live. `reason` goes to the log. */
  revokeSession(sessionId: string, reason: string): Promise<boolean>;
  /** End every session of a user; returns how many. */
  revokeUserSessions(userId: string, reason: string): Promise<number>;
  /** Close `socket` when `principal`'s session or user is revoked on this node. */
  closeOnRevocation(principal: Principal, socket: ClosableSocket): void;
}

export function createRevocations(context: ServerContext, store: AuthStore): Revocations {
  const bySession = new Map<string, Set<ClosableSocket>>();
  const byUser = new Map<string, Set<ClosableSocket>>();

  function add(index: Map<string, Set<ClosableSocket>>, id: string, socket: ClosableSocket): void {
    let set = index.get(id);
    if (!set) index.set(id, (set = new Set()));
    set.add(socket);
  }
  function remove(index: Map<string, Set<ClosableSocket>>, id: string, socket: ClosableSocket): void {
    const set = index.get(id);
    set?.delete(socket);
    if (set?.size === 0) index.delete(id);
  }
  function closeAll(sockets: Set<ClosableSocket> | undefined): number {
    const list = [...(sockets ?? [])];
    for (const socket of list) socket.close(REVOKED_SOCKET_CLOSE_CODE, 'session revoked');
    return list.length;
  }

  return {
    async revokeSession(sessionId, reason) {
      const revoked = await store.revokeSession(sessionId, context.now());
      const closed = closeAll(bySession.get(sessionId));
      if (revoked) context.logger.info({ event: 'auth.session_revoked', sessionId, reason, socketsClosed: closed }, 'session revoked');
      return revoked;
    },
    async revokeUserSessions(userId, reason) {
      const count = await store.revokeUserSessions(userId, context.now());
      const closed = closeAll(byUser.get(userId));
      context.logger.info({ event: 'auth.user_sessions_revoked', userId, count, reason, socketsClosed: closed }, 'user sessions revoked');
      return count;
    },
    closeOnRevocation(principal, socket) {
      if (principal.kind !== 'user') return;
      const { sessionId, userId } = principal;
      add(bySession, sessionId, socket);
      add(byUser, userId, socket);
      socket.once('close', () => {
        remove(bySession, sessionId, socket);
        remove(byUser, userId, socket);
      });
    },
  };
}
