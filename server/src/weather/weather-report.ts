/**
 * The weather report the server keeps per place: one row of table `weather` in the public realm,
 * keyed by the place id, which every client (logged in or not) syncs, so the app can show the
 * latest report while offline. Sources produce a `Forecast`; the job adds place and timestamps.
 */
import { DxcError } from 'dxc/protocol';

/** The synced table holding the reports. */
export const WEATHER_TABLE = 'weather';

/** Hours of hourly forecast kept in a report. @default 12 */
export const FORECAST_HOURS = 12;

/** A place the job reports on. */
export interface WeatherPlace {
  /** Row key: the name as a lowercase slug. */
  readonly id: string;
  readonly name: string;
  readonly latitude: number;
  readonly longitude: number;
}

export interface HourlyForecast {
  /** Start of the hour, ms since epoch. */
  readonly at: number;
  readonly temperatureC: number;
  /** WMO weather interpretation code (as Open-Meteo reports it). */
  readonly weatherCode: number;
}

/** What a source says about one place. */
export interface Forecast {
  /** When the current conditions were observed, ms since epoch. */
  readonly observedAt: number;
  readonly temperatureC: number;
  /** Relative humidity, %. */
  readonly humidity: number;
  readonly windKmh: number;
  readonly weatherCode: number;
  readonly hourly: readonly HourlyForecast[];
}

/** The stored row. */
export interface WeatherReport extends Forecast {
  readonly id: string;
  readonly realmId: string;
  readonly place: string;
  readonly latitude: number;
  readonly longitude: number;
  /** When the server stored this report, ms since epoch. */
  readonly updatedAt: number;
  readonly summary: string;
  /** Which source produced it: `generated` or `open-meteo`. */
  readonly source: string;
}

/** A source of forecasts: the built-in generator, or an HTTP provider. */
export interface WeatherSource {
  readonly name: string;
  forecast(place: WeatherPlace, now: number): Promise<Forecast>;
}

/** Plain words for a WMO weather code (the codes Open-Meteo documents). */
export function describeWeatherCode(code: number): string {
  if (code === 0) return 'Clear sky';
  if (code === 1) return 'Mainly clear';
  if (code === 2) return 'Partly cloudy';
  if (code === 3) return 'Overcast';
  if (code === 45 || code === 48) return 'Fog';
  if (code >= 51 && code <= 57) return 'Drizzle';
  if (code >= 61 && code <= 67) return 'Rain';
  if (code >= 71 && code <= 77) return 'Snow';
  if (code >= 80 && code <= 82) return 'Rain showers';
  if (code === 85 || code === 86) return 'Snow showers';
  if (code >= 95 && code <= 99) return 'Thunderstorm';
  return 'Unknown';
}

function finiteIn(value: unknown, min: number, max: number, what: string): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < min || value > max) {
    throw new DxcError('invalid-request', `${what} is not a number between ${min} and ${max}`);
  }
  return value;
}

/** Check a forecast from any source against physical bounds, so a broken provider never reaches clients. */
export function checkForecast(forecast: Forecast): Forecast {
  finiteIn(forecast.observedAt, 0, 8.64e15, 'observedAt');
  finiteIn(forecast.temperatureC, -100, 70, 'temperature');
  finiteIn(forecast.humidity, 0, 100, 'humidity');
  finiteIn(forecast.windKmh, 0, 500, 'wind speed');
  finiteIn(forecast.weatherCode, 0, 99, 'weather code');
  if (forecast.hourly.length > FORECAST_HOURS * 4) throw new DxcError('invalid-request', 'too many hourly entries');
  for (const hour of forecast.hourly) {
    finiteIn(hour.at, 0, 8.64e15, 'hourly time');
    finiteIn(hour.temperatureC, -100, 70, 'hourly temperature');
    finiteIn(hour.weatherCode, 0, 99, 'hourly weather code');
  }
  return forecast;
}
