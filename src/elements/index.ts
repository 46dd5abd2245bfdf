export type {
  DxcAlertLike,
  DxcCloudLike,
  DxcDbLike,
  DxcFieldLike,
  DxcOptionLike,
  DxcPersistedSyncStateLike,
  DxcSyncStateLike,
  DxcUserInteractionLike,
  DxcUserLike,
  ObservableLike,
  UnsubscribableLike,
} from './cloud-like.js';
export { dxcDbContext } from './context.js';
export { ObservableController } from './controllers/observable-controller.js';
export { DxcElement } from './dxc-element.js';
export { DxcLogin } from './dxc-login.js';
export { DxcSyncIndicator } from './dxc-sync-indicator.js';
export { DxcUserMenu } from './dxc-user-menu.js';
export { DxcErrorEvent, DxcLoginEvent, DxcLogoutEvent, DxcSyncStateChangeEvent } from './events.js';
export { indicatorStateOf, isLoggedIn, unsyncedChangesOf } from './sync-status.js';
export type { DxcSyncIndicatorState } from './sync-status.js';
export type { DxcStrings } from './text.js';
export { syncDefaultLogin } from './auto-mount.js';
