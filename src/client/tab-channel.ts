/**
 * State shared between tabs of one database over BroadcastChannel, on the channel names the
 * official addon uses (`syncstatechanged-<db>`, `synccomplete-<db>`), so a tab shows the phase of
 * a sync another tab (or the service worker) runs, and hears when it completes.
 */
import type { SyncStatePhase } from './types.js';

export interface TabChannel {
  postPhase(phase: SyncStatePhase): void;
  postSyncComplete(): void;
  close(): void;
}

export function openTabChannel(
  idbName: string,
  onPhase: (phase: SyncStatePhase) => void,
  onSyncComplete: () => void,
): TabChannel {
  if (typeof BroadcastChannel === 'undefined') return { postPhase() {}, postSyncComplete() {}, close() {} };
  const phases = new BroadcastChannel(`syncstatechanged-${idbName}`);
  const completes = new BroadcastChannel(`synccomplete-${idbName}`);
  phases.onmessage = (event: MessageEvent<{ phase?: SyncStatePhase }>) => {
    if (typeof event.data?.phase === 'string') onPhase(event.data.phase);
  };
  completes.onmessage = () => onSyncComplete();
  let closed = false;
  return {
    // A sync that was under way when the database closed may still finish: stay silent then.
    postPhase: (phase) => void (closed || phases.postMessage({ phase })),
    postSyncComplete: () => void (closed || completes.postMessage(true)),
    close() {
      closed = true;
      phases.close();
      completes.close();
    },
  };
}
