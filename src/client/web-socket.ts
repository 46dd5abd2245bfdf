/**
 * Live changes over WebSocket `/changes`. The socket announces the revision we hold (`ready`), the
 * server answers with `changes` on top of it (merged like a pull, protecting pending local edits)
 * or a poke to pull over HTTP. A ping every 30 s detects dead connections; a closed socket
 * reconnects with back-off, and a reconnect pushes whatever was written while it was down.
 */
import { bytesToBase64, decodeTson, encodeTson, type ServerSocketMessage } from 'dxc/protocol';
import { applyKeyMutations, localKeyMutations } from './apply-changes.js';
import type { Engine } from './engine.js';
import { DXC_VERSION } from './engine.js';
import { subtractLocal, toKeyMutationSet } from './merge.js';
import { markUntracked } from './outbox-middleware.js';
import { readOutbox } from './sync.js';
import type { SyncScheduler } from './sync-scheduler.js';
import { outboxTable } from './schema.js';
import type { PersistedSyncState } from './types.js';

/** How often the client pings, in ms. @default 30000 */
export const WS_PING_INTERVAL_MS = 30_000;
/** A ping without any server message within this many ms means a dead socket. @default 20000 */
export const WS_PONG_TIMEOUT_MS = 20_000;
/** Delays before reconnecting after a close, in ms; the last one repeats. */
export const WS_RECONNECT_DELAYS_MS: readonly number[] = [250, 1000, 2000, 5000, 10000, 30000];

export interface LiveSocket {
  /** Connect, reconnect or disconnect to match the current user and sync state. */
  update(): void;
  /** Reconnect now (e.g. the browser came back online). */
  reconnectNow(): void;
  /** An HTTP sync just worked: a socket waiting out its back-off reconnects now. */
  serverReachable(): void;
  stop(): void;
}

/** The addon's realm-set hash: base64 SHA-1 of the sorted realm list with acceptance flags. */
export async function realmSetHash(state: PersistedSyncState): Promise<string> {
  const entries = [
    ...state.realms.map((realmId) => ({ realmId, accepted: true })),
    ...state.inviteRealms.map((realmId) => ({ realmId, accepted: false })),
  ].sort((a, b) => (a.realmId < b.realmId ? -1 : a.realmId > b.realmId ? 1 : 0));
  const digest = await crypto.subtle.digest('SHA-1', new TextEncoder().encode(JSON.stringify(entries)));
  return bytesToBase64(new Uint8Array(digest));
}

export function createLiveSocket(engine: Engine, scheduler: SyncScheduler, onChanges: () => void): LiveSocket {
  let socket: WebSocket | undefined;
  let identity: string | undefined;
  let hash = '';
  let attempts = 0;
  let stopped = false;
  let reconnectTimer: ReturnType<typeof setTimeout> | undefined;
  let pingTimer: ReturnType<typeof setInterval> | undefined;
  let pongTimer: ReturnType<typeof setTimeout> | undefined;

  const wanted = (): boolean => {
    const state = engine.persistedSyncState.value;
    if (stopped || engine.closed || engine.options?.disableWebSocket || !state?.serverRevision) return false;
    if (engine.needsAuth || engine.keptDataOwner() !== undefined) return false;
    return !engine.isLoggedIn() || state.realms.includes(engine.currentUserId());
  };
  const whoAmI = () => `${engine.currentUserId()} ${engine.currentUser.value.accessToken ?? ''}`;

  function close(): void {
    clearInterval(pingTimer);
    clearTimeout(pongTimer);
    const old = socket;
    socket = undefined;
    identity = undefined;
    if (old) {
      old.onclose = old.onmessage = old.onerror = old.onopen = null;
      old.close();
    }
  }

  function scheduleReconnect(): void {
    clearTimeout(reconnectTimer);
    const delay = WS_RECONNECT_DELAYS_MS[Math.min(attempts++, WS_RECONNECT_DELAYS_MS.length - 1)]!;
    reconnectTimer = setTimeout(() => {
      reconnectTimer = undefined;
      void connect();
    }, delay);
  }

  function sendReady(): void {
    const rev = engine.persistedSyncState.value?.serverRevision;
    if (socket?.readyState === WebSocket.OPEN && rev) socket.send(encodeTson({ type: 'ready', rev, realmSetHash: hash }));
  }

  async function connect(): Promise<void> {
    close();
    if (!wanted()) {
      if (engine.webSocketStatus.value !== 'not-started') engine.webSocketStatus.next('disconnected');
      return;
    }
    const state = engine.persistedSyncState.value!;
    let token: string | undefined;
    try {
      if (engine.isLoggedIn()) token = await engine.accessToken();
      hash = await realmSetHash(state);
    } catch {
      return scheduleReconnect(); // offline or needs-auth: the scheduler reports it
    }
    if (!wanted() || socket) return;
    const url = new URL(`${engine.databaseUrl.replace(/\/+$/, '')}/changes`);
    url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
    const params: Record<string, string | undefined> = {
      v: '2',
      rev: state.serverRevision,
      realmsHash: hash,
      clientId: state.clientIdentity,
      dxcv: DXC_VERSION,
      token,
    };
    for (const [name, value] of Object.entries(params)) if (value) url.searchParams.set(name, value);
    engine.webSocketStatus.next('connecting');
    const ws = new WebSocket(url);
    socket = ws;
    identity = whoAmI();
    let opened = false;
    ws.onopen = () => {
      opened = true;
      attempts = 0;
      sendReady();
      engine.webSocketStatus.next('connected');
      pingTimer = setInterval(ping, WS_PING_INTERVAL_MS);
      engine.triggerSync('push');
    };
    ws.onmessage = (event: MessageEvent) => {
      clearTimeout(pongTimer);
      if (typeof event.data === 'string') void handle(event.data).catch(() => ws.close());
    };
    ws.onclose = () => {
      if (socket !== ws) return;
      close();
      engine.webSocketStatus.next('disconnected');
      // Browsers hide why an upgrade failed; an expired or revoked token shows up as a 401 over
      // HTTP, where a pull refreshes it (or reports needs-auth) before the next attempt.
      if (!opened && engine.isLoggedIn()) engine.triggerSync('pull');
      scheduleReconnect();
    };
    ws.onerror = () => {
      if (socket === ws) engine.webSocketStatus.next('error');
    };
  }

  function ping(): void {
    if (socket?.readyState !== WebSocket.OPEN) return;
    socket.send(JSON.stringify({ type: 'ping' }));
    clearTimeout(pongTimer);
    const pinged = socket;
    // No server message at all since the ping: the connection is dead even if TCP has not noticed.
    pongTimer = setTimeout(() => pinged.close(), WS_PONG_TIMEOUT_MS);
  }

  async function handle(text: string): Promise<void> {
    const message = decodeTson(text) as ServerSocketMessage;
    switch (message?.type) {
      case 'changes':
        await scheduler.exclusive(() => applyLiveChanges(message));
        sendReady();
        break;
      case 'realms-changed':
        engine.triggerSync('pull');
        break;
      case 'token-expired':
        await engine.accessToken(true);
        void connect();
        break;
      case 'error':
        engine.webSocketStatus.next('error');
        socket?.close();
        break;
    }
  }

  async function applyLiveChanges(message: Extract<ServerSocketMessage, { type: 'changes' }>): Promise<void> {
    const db = engine.vip;
    const tables = engine.syncedTables();
    let state: PersistedSyncState | undefined;
    await db.transaction('rw', [...tables, ...tables.map(outboxTable), '$syncState'], async (tx) => {
      markUntracked(tx.idbtrans);
      state = await engine.loadSyncState();
      // Changes on top of a revision we no longer hold are stale; our next `ready` sets it right.
      if (!state || state.serverRevision !== message.baseRev) return (state = undefined);
      if (message.realmSetHash !== hash) {
        engine.triggerSync('pull');
        return (state = undefined);
      }
      const userId = engine.currentUserId();
      const server = toKeyMutationSet(message.changes ?? []);
      subtractLocal(server, localKeyMutations(db, await readOutbox(db, tables), userId));
      await applyKeyMutations(db, server, userId);
      state = { ...state, serverRevision: message.newRev, timestamp: new Date() };
      await tx.table('$syncState').put(state, 'syncState');
    });
    if (!state) return;
    engine.persistedSyncState.next(state);
    if (message.changes?.length) onChanges();
  }

  return {
    update() {
      if (!wanted()) {
        if (socket) {
          close();
          engine.webSocketStatus.next('disconnected');
        }
        return;
      }
      if (!socket ? !reconnectTimer : identity !== whoAmI()) void connect();
    },
    serverReachable() {
      if (!socket && reconnectTimer && wanted()) this.reconnectNow();
    },
    reconnectNow() {
      attempts = 0;
      clearTimeout(reconnectTimer);
      reconnectTimer = undefined;
      void connect();
    },
    stop() {
      stopped = true;
      clearTimeout(reconnectTimer);
      close();
    },
  };
}
