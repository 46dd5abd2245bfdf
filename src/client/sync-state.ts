/**
 * `db.cloud.syncState`: the sync phase (set by the scheduler here, or by another tab through the
 * tab channel) combined with the WebSocket status and `navigator.onLine`, and the progress of a
 * paged pull while it runs, emitted only on change.
 */
import type { Engine } from './engine.js';
import type { SyncState, SyncStatePhase, SyncStatus } from './types.js';

export interface SyncStateTracker {
  setPhase(phase: SyncStatePhase, error?: Error): void;
  refresh(): void;
  stop(): void;
}

export function trackSyncState(engine: Engine): SyncStateTracker {
  let phase: SyncStatePhase = engine.syncState.value.phase;
  let error: Error | undefined;
  const refresh = () => {
    const ws = engine.webSocketStatus.value;
    const busy = phase === 'pushing' || phase === 'pulling';
    let status: SyncStatus = busy && (ws === 'not-started' || ws === 'disconnected') ? 'connecting' : ws;
    if (phase === 'error') status = 'error';
    if (phase === 'offline' || globalThis.navigator?.onLine === false) status = 'offline';
    const progress = busy ? engine.progress : undefined;
    const next: SyncState = { phase, status, ...(error ? { error } : {}), ...(progress !== undefined ? { progress } : {}) };
    const prev = engine.syncState.value;
    if (prev.phase !== next.phase || prev.status !== next.status || prev.error !== next.error || prev.progress !== next.progress) {
      engine.syncState.next(next);
    }
  };
  const subscription = engine.webSocketStatus.subscribe(refresh);
  return {
    stop: () => subscription.unsubscribe(),
    setPhase(nextPhase, nextError) {
      phase = nextPhase;
      error = nextPhase === 'error' ? nextError : undefined;
      refresh();
    },
    refresh,
  };
}
