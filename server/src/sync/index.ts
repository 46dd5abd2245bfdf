export * from './change-bus.js';
export { createSync, type Sync } from './create-sync.js';
