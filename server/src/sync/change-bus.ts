/**
 * In-process fan-out of committed changes to live WebSocket subscribers. A multi-node backend
 * feeds the same bus from PostgreSQL LISTEN/NOTIFY, so sockets never care which node committed.
 */
export interface CommittedChange {
  /** The server revision the commit produced. */
  readonly revision: string;
  /** Realms whose rows the commit touched. */
  readonly realms: readonly string[];
}

export interface ChangeBus {
  publish(change: CommittedChange): void;
  subscribe(listener: (change: CommittedChange) => void): () => void;
}

export function createChangeBus(): ChangeBus {
  const listeners = new Set<(change: CommittedChange) => void>();
  return {
    publish(change) {
      for (const listener of listeners) listener(change);
    },
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
}
