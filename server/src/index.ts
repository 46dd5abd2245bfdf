export { startServer, type RunningServer, type StartOptions } from './app.js';
export { CONFIG_SETTINGS, configFromArgs, defaultConfig, type ServerConfig } from './config.js';
export type { Principal, ServerContext } from './context.js';
