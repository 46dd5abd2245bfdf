/**
 * Server configuration: one table of settings, each readable from a CLI flag or a `DXC_*`
 * environment variable (flags win). README.md#configuration renders the same table.
 */
import { DEFAULT_MAX_SYNC_BODY_BYTES } from 'dxc/protocol';

export interface ServerConfig {
  /** TCP port. @default 8787 */
  port: number;
  /** Interface to listen on. @default '127.0.0.1' in dev mode, '0.0.0.0' in production */
  host: string;
  /** Directory holding the SQLite database and the server's signing key. @default './dxc-data' */
  dataDir: string;
  /** Production mode: mail goes through SMTP and the dev mailbox is off. @default false */
  production: boolean;
  /** Public base URL of this server, used in mails and as the token issuer. @default http://localhost:<port> */
  publicUrl: string;
  /**
   * Origins allowed by CORS and by the WebSocket `/changes` handshake (one decision,
   * http/origin-policy.ts; the origin of `publicUrl` is always allowed); `['*']` allows any origin.
   * @default ['*'] in dev, [] in production
   */
  allowedOrigins: string[];
  /** Access-token lifetime in seconds. @default 3600 */
  accessTokenTtlSeconds: number;
  /** Refresh-token lifetime in seconds. @default 7776000 (90 days) */
  refreshTokenTtlSeconds: number;
  /** One-time code lifetime in seconds (at most 600). @default 300 */
  otpTtlSeconds: number;
  /** Bytes of an authenticated `/sync` body after decompression. @default 67108864 (64 MiB) */
  maxSyncBodyBytes: number;
  /** SMTP connection URL for production mail, e.g. `smtps://user:pass@mail.example.com`. */
  smtpUrl?: string;
  /** Sender address of OTP mails. @default 'dxc <no-reply@localhost>' */
  mailFrom: string;
  /** Directory of static files to serve at `/` (the starter PWA), if any. */
  staticDir?: string;
  /** Log level for pino. @default 'info' ('silent' in tests) */
  logLevel: string;
  /**
   * PostgreSQL connection URL (`postgres://user:pass@host:5432/db`). When set, users, sessions and
   * data live in PostgreSQL (several nodes may share it) instead of `<dataDir>/dxc.sqlite`.
   */
  database?: string;
  // --- starter scenarios (issue 7): the open chat realm and the weather job ---
  /**
   * A realm every logged-in user reads and may add rows to (in `openRealmTables` only), changing
   * or deleting only rows they own; the starter's chat room. Off when unset. See sync/realms.ts.
   */
  openRealm?: string;
  /** Tables logged-in users may write in `openRealm`. @default [] */
  openRealmTables: string[];
  /**
   * Places the weather job keeps a report for, `Name@latitude,longitude;…`; off when empty.
   * @default []
   */
  weatherPlaces: string[];
  /**
   * Where weather comes from: `generated` (a deterministic built-in generator, for offline
   * machines) or the base URL of an Open-Meteo compatible forecast API. @default 'generated'
   */
  weatherSource: string;
  /** Seconds between weather refreshes. @default 1800 */
  weatherIntervalSeconds: number;
}

export interface ConfigSetting {
  key: keyof ServerConfig;
  flag: string;
  env: string;
  description: string;
}

/** Every setting with its flag and environment variable; README.md documents this table. */
export const CONFIG_SETTINGS: readonly ConfigSetting[] = [
  { key: 'port', flag: '--port', env: 'DXC_PORT', description: 'TCP port (default 8787)' },
  { key: 'host', flag: '--host', env: 'DXC_HOST', description: 'listen address (default 127.0.0.1; 0.0.0.0 with --prod)' },
  { key: 'dataDir', flag: '--data', env: 'DXC_DATA_DIR', description: 'data directory (default ./dxc-data)' },
  { key: 'production', flag: '--prod', env: 'DXC_PRODUCTION', description: 'production mode: SMTP mail, no dev mailbox' },
  { key: 'publicUrl', flag: '--public-url', env: 'DXC_PUBLIC_URL', description: 'public base URL (default http://localhost:PORT)' },
  { key: 'allowedOrigins', flag: '--origins', env: 'DXC_ALLOWED_ORIGINS', description: 'comma-separated CORS origins; * reflects any (default * in dev)' },
  { key: 'accessTokenTtlSeconds', flag: '--access-ttl', env: 'DXC_ACCESS_TOKEN_TTL', description: 'access-token lifetime, seconds (default 3600)' },
  { key: 'refreshTokenTtlSeconds', flag: '--refresh-ttl', env: 'DXC_REFRESH_TOKEN_TTL', description: 'refresh-token lifetime, seconds (default 7776000)' },
  { key: 'otpTtlSeconds', flag: '--otp-ttl', env: 'DXC_OTP_TTL', description: 'one-time code lifetime, seconds, max 600 (default 300)' },
  { key: 'maxSyncBodyBytes', flag: '--max-sync-body', env: 'DXC_MAX_SYNC_BODY', description: 'authenticated /sync body limit, bytes (default 64 MiB)' },
  { key: 'smtpUrl', flag: '--smtp', env: 'DXC_SMTP_URL', description: 'SMTP URL for production mail' },
  { key: 'mailFrom', flag: '--mail-from', env: 'DXC_MAIL_FROM', description: 'sender of OTP mails' },
  { key: 'staticDir', flag: '--static', env: 'DXC_STATIC_DIR', description: 'directory served at / (the starter PWA)' },
  { key: 'logLevel', flag: '--log-level', env: 'DXC_LOG_LEVEL', description: 'pino log level (default info)' },
  { key: 'database', flag: '--db', env: 'DXC_DATABASE_URL', description: 'postgres:// URL: store in PostgreSQL (default: SQLite in the data directory)' },
  { key: 'openRealm', flag: '--open-realm', env: 'DXC_OPEN_REALM', description: 'realm every logged-in user reads and adds to, e.g. rlm-lobby (default off)' },
  { key: 'openRealmTables', flag: '--open-realm-tables', env: 'DXC_OPEN_REALM_TABLES', description: 'comma-separated tables users may write in the open realm' },
  { key: 'weatherPlaces', flag: '--weather-places', env: 'DXC_WEATHER_PLACES', description: 'weather job places, Name@lat,lon;… (default off)' },
  { key: 'weatherSource', flag: '--weather-source', env: 'DXC_WEATHER_SOURCE', description: 'generated (default) or an Open-Meteo API base URL' },
  { key: 'weatherIntervalSeconds', flag: '--weather-interval', env: 'DXC_WEATHER_INTERVAL', description: 'seconds between weather refreshes (default 1800)' },
];

/** Hard ceiling (s) on the OTP lifetime `--otp-ttl` (NIST SP 800-63B: out-of-band secrets expire within 10 minutes). */
export const MAX_OTP_TTL_SECONDS = 600;

export function defaultConfig(overrides: Partial<ServerConfig> = {}): ServerConfig {
  const port = overrides.port ?? 8787;
  const production = overrides.production ?? false;
  const config: ServerConfig = {
    port,
    host: production ? '0.0.0.0' : '127.0.0.1',
    dataDir: './dxc-data',
    production,
    publicUrl: `http://localhost:${port}`,
    allowedOrigins: production ? [] : ['*'],
    accessTokenTtlSeconds: 3600,
    refreshTokenTtlSeconds: 90 * 24 * 3600,
    otpTtlSeconds: 300,
    maxSyncBodyBytes: DEFAULT_MAX_SYNC_BODY_BYTES,
    mailFrom: 'dxc <no-reply@localhost>',
    logLevel: 'info',
    openRealmTables: [],
    weatherPlaces: [],
    weatherSource: 'generated',
    weatherIntervalSeconds: 1800,
    ...overrides,
  };
  if (config.otpTtlSeconds > MAX_OTP_TTL_SECONDS || config.otpTtlSeconds <= 0) {
    throw new Error(
      `otpTtlSeconds (--otp-ttl, DXC_OTP_TTL) must be 1 to ${MAX_OTP_TTL_SECONDS} seconds, got ${config.otpTtlSeconds}`,
    );
  }
  return config;
}

function parseValue(key: keyof ServerConfig, raw: string): unknown {
  switch (key) {
    case 'port':
    case 'accessTokenTtlSeconds':
    case 'refreshTokenTtlSeconds':
    case 'otpTtlSeconds':
    case 'maxSyncBodyBytes':
    case 'weatherIntervalSeconds': {
      const n = Number(raw);
      if (!Number.isSafeInteger(n) || n < 0) throw new Error(`${key} must be a non-negative integer, got ${raw}`);
      return n;
    }
    case 'production':
      return raw === '' || raw === '1' || raw === 'true';
    case 'allowedOrigins':
    case 'openRealmTables':
      return raw.split(',').map((o) => o.trim()).filter(Boolean);
    case 'weatherPlaces':
      return raw.split(';').map((p) => p.trim()).filter(Boolean);
    default:
      return raw;
  }
}

/**
 * `--flag=value` as `[flag, value]`, `--flag` as `[flag, undefined]`. Splits at the first `=` only:
 * values such as `--db=postgres://…?sslmode=require` hold `=` themselves.
 */
export function splitFlag(arg: string): [string, string | undefined] {
  const at = arg.indexOf('=');
  return at === -1 ? [arg, undefined] : [arg.slice(0, at), arg.slice(at + 1)];
}

/** Build a config from CLI arguments and environment (flags win over `DXC_*` variables). */
export function configFromArgs(args: string[], env: NodeJS.ProcessEnv = process.env): ServerConfig {
  const overrides: Partial<Record<keyof ServerConfig, unknown>> = {};
  for (const setting of CONFIG_SETTINGS) {
    const raw = env[setting.env];
    if (raw !== undefined) overrides[setting.key] = parseValue(setting.key, raw);
  }
  if (env.NODE_ENV === 'production' && overrides.production === undefined) overrides.production = true;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    const [flag, inline] = splitFlag(arg);
    const setting = CONFIG_SETTINGS.find((s) => s.flag === flag);
    if (!setting) throw new Error(`Unknown option ${flag}. Run dxc-server --help.`);
    if (setting.key === 'production') {
      overrides.production = inline === undefined ? true : parseValue('production', inline);
      continue;
    }
    const raw = inline ?? args[++i];
    if (raw === undefined) throw new Error(`${flag} needs a value`);
    overrides[setting.key] = parseValue(setting.key, raw);
  }
  return defaultConfig(overrides as Partial<ServerConfig>);
}
