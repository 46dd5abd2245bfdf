export { allRoutes } from './all-routes.js';
export { clientTokenGrant } from './client-token-grant.js';
export { createClientTokens, type ClientPrincipal, type ClientTokens } from './client-token.js';
export * from './rest-limits.js';
