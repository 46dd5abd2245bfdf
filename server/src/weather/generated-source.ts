/**
 * The built-in weather source: a deterministic generator, so the starter works on machines with no
 * network and tests can predict every figure. The same place and quarter-hour always give the same
 * weather: a daily temperature curve set by latitude, plus pseudo-random but repeatable noise.
 */
import { createHash } from 'node:crypto';
import { FORECAST_HOURS, type Forecast, type HourlyForecast, type WeatherPlace, type WeatherSource } from './weather-report.js';

/** Length of one generated observation slot, ms. @default 900000 (15 minutes) */
export const GENERATED_SLOT_MS = 15 * 60_000;

const HOUR_MS = 3_600_000;
const CODES = [0, 1, 2, 3, 45, 61, 80, 3, 2, 1, 71, 95];

/** A repeatable number in [0, 1) for `parts`. */
function noise(...parts: (string | number)[]): number {
  return createHash('sha256').update(parts.join('|')).digest().readUInt32BE(0) / 2 ** 32;
}

function temperatureAt(place: WeatherPlace, at: number): number {
  const base = 27 - Math.abs(place.latitude) * 0.45;
  // Warmest mid-afternoon local solar time, coldest before dawn.
  const solarHour = (at / HOUR_MS + place.longitude / 15) % 24;
  const daily = 5 * Math.sin(((solarHour - 9) / 24) * 2 * Math.PI);
  const jitter = (noise(place.id, Math.floor(at / HOUR_MS)) - 0.5) * 3;
  return Math.round((base + daily + jitter) * 10) / 10;
}

function codeAt(place: WeatherPlace, at: number): number {
  return CODES[Math.floor(noise(place.id, 'code', Math.floor(at / (3 * HOUR_MS))) * CODES.length)]!;
}

export function generatedSource(): WeatherSource {
  return {
    name: 'generated',
    async forecast(place, now): Promise<Forecast> {
      const observedAt = Math.floor(now / GENERATED_SLOT_MS) * GENERATED_SLOT_MS;
      const firstHour = Math.floor(now / HOUR_MS) * HOUR_MS + HOUR_MS;
      const hourly: HourlyForecast[] = Array.from({ length: FORECAST_HOURS }, (_, i) => {
        const at = firstHour + i * HOUR_MS;
        return { at, temperatureC: temperatureAt(place, at), weatherCode: codeAt(place, at) };
      });
      return {
        observedAt,
        temperatureC: temperatureAt(place, observedAt),
        humidity: Math.round(45 + noise(place.id, 'rh', observedAt) * 50),
        windKmh: Math.round(noise(place.id, 'wind', observedAt) * 400) / 10,
        weatherCode: codeAt(place, observedAt),
        hourly,
      };
    },
  };
}
