/**
 * dxc/client: a lean Dexie 4 addon with the public API of dexie-cloud-addon.
 *
 *     import Dexie from 'dexie';
 *     import dxc from 'dxc/client';
 *     const db = new Dexie('app', { addons: [dxc] });
 */
import { dxc } from './dxc-addon.js';

export default dxc;
export { dxc, dxc as dexieCloud, type DxcCloud } from './dxc-addon.js';
export type { DxcOptions, FetchTokensParams } from './options.js';
export * from './types.js';
export { DxcError, DxcHttpError, isDxcError, type DxcErrorCode } from './errors.js';
export { Subject, ValueSubject, type Observer, type Subscription } from './observable.js';
export { getDefaultDb, onDefaultDbChange } from './registry.js';
export { resolveText } from './interactions.js';
export { getDbNameFromDbUrl } from './configure.js';
export { DXC_VERSION } from './engine.js';

/** The realm tied to one object (for sharing that object alone): `rlm~<id>`. */
export function getTiedRealmId(objectId: string): string {
  return `rlm~${objectId}`;
}
