/**
 * The server-side weather job: every `weatherIntervalSeconds` it asks the configured source for a
 * forecast per place and writes the reports through the REST API, exactly as an external
 * server-side client would: `POST /token` (client_credentials, GLOBAL_WRITE) for a client token,
 * then `POST /all/weather`. The requests go to the server's own app in-process (no socket). Its API
 * client is registered on first start and kept in `<dataDir>/weather-client.json` (mode 0600).
 * A place whose source fails keeps its previous report; the failure is logged.
 */
import fs from 'node:fs';
import path from 'node:path';
import { PUBLIC_REALM } from 'dxc/protocol';
import { createApiClient } from '../auth/api-clients.js';
import type { ServerContext } from '../context.js';
import { generatedSource } from './generated-source.js';
import { openMeteoSource } from './open-meteo-source.js';
import { parsePlaces } from './places.js';
import { describeWeatherCode, WEATHER_TABLE, type WeatherPlace, type WeatherReport, type WeatherSource } from './weather-report.js';

/** File in the data directory holding the job's API client credentials. */
export const WEATHER_CLIENT_FILE = 'weather-client.json';
/** A client token is renewed when less than this is left of it, ms. @default 300000 (5 minutes) */
export const TOKEN_RENEW_MARGIN_MS = 5 * 60_000;

/** Requests to the server's own routes (Hono's `app.request`). */
export type AppRequest = (path: string, init: RequestInit) => Response | Promise<Response>;

export interface WeatherJob {
  readonly places: readonly WeatherPlace[];
  /** Refresh every place now; resolves with the reports written. Concurrent calls share one run. */
  refresh(): Promise<WeatherReport[]>;
  stop(): void;
}

interface ClientFile {
  clientId: string;
  clientSecret: string;
}

async function loadClient(context: ServerContext): Promise<ClientFile> {
  const file = path.join(context.config.dataDir, WEATHER_CLIENT_FILE);
  if (fs.existsSync(file)) return JSON.parse(fs.readFileSync(file, 'utf8')) as ClientFile;
  const { clientId, clientSecret } = await createApiClient(context.storage.auth, 'weather-job', context.now());
  fs.mkdirSync(context.config.dataDir, { recursive: true });
  fs.writeFileSync(file, JSON.stringify({ clientId, clientSecret }, null, 2) + '\n', { mode: 0o600 });
  return { clientId, clientSecret };
}

/** The source the configuration names. */
export function sourceOf(setting: string): WeatherSource {
  return setting === 'generated' ? generatedSource() : openMeteoSource(setting);
}

export function createWeatherJob(context: ServerContext, request: AppRequest, source = sourceOf(context.config.weatherSource)): WeatherJob {
  const places = parsePlaces(context.config.weatherPlaces);
  const { logger } = context;
  let token: { value: string; expiresAt: number } | undefined;
  let running: Promise<WeatherReport[]> | undefined;

  async function clientToken(): Promise<string> {
    if (token && token.expiresAt - context.now() > TOKEN_RENEW_MARGIN_MS) return token.value;
    const client = await loadClient(context);
    const response = await request('/token', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({
        grant_type: 'client_credentials',
        client_id: client.clientId,
        client_secret: client.clientSecret,
        scopes: ['ACCESS_DB', 'GLOBAL_WRITE'],
      }),
    });
    if (!response.ok) throw new Error(`POST /token answered ${response.status}`);
    const body = (await response.json()) as { accessToken: string; accessTokenExpiration: number };
    token = { value: body.accessToken, expiresAt: body.accessTokenExpiration };
    return token.value;
  }

  async function report(place: WeatherPlace): Promise<WeatherReport | undefined> {
    try {
      const forecast = await source.forecast(place, context.now());
      return {
        id: place.id,
        realmId: PUBLIC_REALM,
        place: place.name,
        latitude: place.latitude,
        longitude: place.longitude,
        ...forecast,
        hourly: [...forecast.hourly],
        updatedAt: context.now(),
        summary: describeWeatherCode(forecast.weatherCode),
        source: source.name,
      };
    } catch (error) {
      logger.warn({ place: place.id, source: source.name, err: (error as Error).message }, 'weather: source failed; keeping the last report');
      return undefined;
    }
  }

  async function run(): Promise<WeatherReport[]> {
    const reports = (await Promise.all(places.map(report))).filter((r): r is WeatherReport => r !== undefined);
    if (reports.length === 0) return [];
    const response = await request(`/all/${WEATHER_TABLE}`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${await clientToken()}` },
      body: JSON.stringify(reports),
    });
    if (!response.ok) throw new Error(`POST /all/${WEATHER_TABLE} answered ${response.status}: ${await response.text()}`);
    logger.info({ places: reports.map((r) => r.id), source: source.name }, 'weather: reports updated');
    return reports;
  }

  const refresh = (): Promise<WeatherReport[]> => {
    running ??= run().finally(() => (running = undefined));
    return running;
  };
  const timer = setInterval(() => {
    refresh().catch((error: unknown) => logger.error({ err: error }, 'weather: refresh failed'));
  }, context.config.weatherIntervalSeconds * 1000);
  timer.unref();
  return { places, refresh, stop: () => clearInterval(timer) };
}
