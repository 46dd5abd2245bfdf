/**
 * The events the elements dispatch. Each is an `Event` subclass with a typed, readonly `detail`,
 * bubbling and composed (it crosses shadow roots), so `document.addEventListener('dxc-login', ...)`
 * sees every element's events, and `event.target` tells which element sent it.
 */
import type { DxcUserLike } from './cloud-like.js';
import type { DxcSyncIndicatorState } from './sync-status.js';

const init: EventInit = { bubbles: true, composed: true };

/** The current user changed from anonymous to logged in (not fired for a login found at start-up). */
export class DxcLoginEvent extends Event {
  readonly detail: { readonly user: DxcUserLike };
  constructor(detail: { user: DxcUserLike }) {
    super('dxc-login', init);
    this.detail = detail;
  }
}

/** The current user changed from logged in to anonymous; `detail.user` is the user who left. */
export class DxcLogoutEvent extends Event {
  readonly detail: { readonly user: DxcUserLike };
  constructor(detail: { user: DxcUserLike }) {
    super('dxc-logout', init);
    this.detail = detail;
  }
}

/** The indicator's `state` changed (not fired for the first state it shows). */
export class DxcSyncStateChangeEvent extends Event {
  readonly detail: { readonly state: DxcSyncIndicatorState; readonly previousState: DxcSyncIndicatorState };
  constructor(detail: { state: DxcSyncIndicatorState; previousState: DxcSyncIndicatorState }) {
    super('dxc-sync-state-change', init);
    this.detail = detail;
  }
}

/**
 * Something failed that the user should know about: an error alert shown by `<dxc-login>`, the
 * indicator entering `error`, or a login/logout started by `<dxc-user-menu>` that rejected.
 * `code` is the alert's `messageCode` or the error's `code`/`name`.
 */
export class DxcErrorEvent extends Event {
  readonly detail: { readonly message: string; readonly code?: string; readonly error?: unknown };
  constructor(detail: { message: string; code?: string; error?: unknown }) {
    super('dxc-error', init);
    this.detail = detail;
  }
}

declare global {
  interface GlobalEventHandlersEventMap {
    'dxc-login': DxcLoginEvent;
    'dxc-logout': DxcLogoutEvent;
    'dxc-sync-state-change': DxcSyncStateChangeEvent;
    'dxc-error': DxcErrorEvent;
  }
}
