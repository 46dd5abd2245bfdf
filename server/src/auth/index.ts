export { createAuth, type Auth } from './auth.js';
export { createApiClient, type NewApiClient } from './api-clients.js';
export * from './auth-limits.js';
