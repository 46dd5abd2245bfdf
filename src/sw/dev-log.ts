/**
 * A development-only logger for worker code. Production builds define `__DXC_DEV__` as false, so
 * the bundler drops every call and the worker ships without console noise; an unbundled load
 * (no define at all) stays silent too.
 */
declare const __DXC_DEV__: boolean | undefined;

const DEV = typeof __DXC_DEV__ !== 'undefined' && __DXC_DEV__ === true;

export function devLog(...args: unknown[]): void {
  if (DEV) console.debug('[dxc sw]', ...args);
}
