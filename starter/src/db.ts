/**
 * The starter's database: a Dexie database with the dxc addon, synced with the dxc-server that
 * serves the app (or `VITE_DXC_URL`). Two synced tables:
 * - `messages`: the chat room, every row in the open realm `rlm-lobby` (the server's
 *   `--open-realm rlm-lobby --open-realm-tables messages` makes it readable and writable by every
 *   logged-in user);
 * - `weather`: one report per place, written by the server's weather job into the public realm.
 */
import { Dexie, type Table } from 'dexie';
import dxc from 'dxc/client';

/** The chat room's realm; the server must be started with `--open-realm` set to it. */
export const ROOM_REALM = 'rlm-lobby';

/** How often the service worker may pull in the background (a hint; the browser decides), ms. */
export const PERIODIC_SYNC_MS = 60 * 60_000;

export interface Message {
  id: string;
  realmId: string;
  owner?: string;
  text: string;
  /** When it was written, ms since epoch (the writer's clock). */
  at: number;
  /** Display name of the writer. */
  author: string;
}

export interface HourlyForecast {
  at: number;
  temperatureC: number;
  weatherCode: number;
}

/** A row written by the server's weather job (server/src/weather/weather-report.ts). */
export interface WeatherReport {
  id: string;
  place: string;
  observedAt: number;
  updatedAt: number;
  temperatureC: number;
  humidity: number;
  windKmh: number;
  weatherCode: number;
  summary: string;
  hourly: HourlyForecast[];
  source: string;
}

export type StarterDb = Dexie & {
  messages: Table<Message, string>;
  weather: Table<WeatherReport, string>;
};

const databaseUrl = (import.meta.env.VITE_DXC_URL as string | undefined) || location.origin;

export const db = new Dexie('dxc-starter', { addons: [dxc] }) as StarterDb;
db.version(1).stores({ messages: 'id, at', weather: 'id' });
db.cloud.configure({
  databaseUrl,
  // Writes made offline go out by Background Sync, even after the app is closed; periodic sync
  // keeps the weather fresh for the next (maybe offline) start.
  tryUseServiceWorker: true,
  periodicSync: { minInterval: PERIODIC_SYNC_MS },
});

/** The ids of messages written here and not yet acknowledged by the server. */
export async function pendingMessageIds(): Promise<Set<string>> {
  const outbox = await db.table<{ keys: unknown[] }>('$messages_mutations').toArray();
  return new Set(outbox.flatMap((entry) => entry.keys.filter((key): key is string => typeof key === 'string')));
}
