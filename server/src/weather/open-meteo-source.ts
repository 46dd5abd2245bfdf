/**
 * Weather from an Open-Meteo compatible forecast API (`GET {base}/v1/forecast`, the format
 * documented at open-meteo.com/en/docs): current conditions and the next hours, with Unix times.
 * The answer is size-limited, time-limited and checked field by field; anything unexpected is a
 * failed refresh (the job keeps the previous report), never a malformed row.
 */
import { DxcError } from 'dxc/protocol';
import { checkForecast, FORECAST_HOURS, type Forecast, type HourlyForecast, type WeatherSource } from './weather-report.js';

/** How long one forecast request may take, ms. @default 10000 */
export const OPEN_METEO_TIMEOUT_MS = 10_000;
/** Bytes of one forecast answer. @default 262144 (256 KiB) */
export const OPEN_METEO_MAX_RESPONSE_BYTES = 256 * 1024;

interface OpenMeteoAnswer {
  current?: Record<string, unknown>;
  hourly?: Record<string, unknown>;
}

function numberArray(value: unknown, what: string): number[] {
  if (!Array.isArray(value) || !value.every((v) => typeof v === 'number')) {
    throw new DxcError('invalid-request', `Open-Meteo answer: ${what} is not a list of numbers`);
  }
  return value as number[];
}

/** Read Open-Meteo's JSON into a Forecast (exported for tests of the format alone). */
export function parseOpenMeteo(answer: unknown): Forecast {
  const { current, hourly } = (answer ?? {}) as OpenMeteoAnswer;
  if (typeof current !== 'object' || current === null || typeof hourly !== 'object' || hourly === null) {
    throw new DxcError('invalid-request', 'Open-Meteo answer lacks current or hourly');
  }
  const times = numberArray(hourly.time, 'hourly.time');
  const temperatures = numberArray(hourly.temperature_2m, 'hourly.temperature_2m');
  const codes = numberArray(hourly.weather_code, 'hourly.weather_code');
  const observedAt = Number(current.time) * 1000;
  const hours: HourlyForecast[] = times
    .map((time, i) => ({ at: time * 1000, temperatureC: temperatures[i]!, weatherCode: codes[i]! }))
    .filter((hour) => hour.at > observedAt)
    .slice(0, FORECAST_HOURS);
  return checkForecast({
    observedAt,
    temperatureC: current.temperature_2m as number,
    humidity: current.relative_humidity_2m as number,
    windKmh: current.wind_speed_10m as number,
    weatherCode: current.weather_code as number,
    hourly: hours,
  });
}

async function readLimited(response: Response): Promise<string> {
  const reader = response.body?.getReader();
  if (!reader) return '';
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > OPEN_METEO_MAX_RESPONSE_BYTES) {
      await reader.cancel();
      throw new DxcError('payload-too-large', `Open-Meteo answer exceeds ${OPEN_METEO_MAX_RESPONSE_BYTES} bytes`);
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** A source reading `{baseUrl}/v1/forecast`, e.g. `https://api.open-meteo.com`. */
export function openMeteoSource(baseUrl: string): WeatherSource {
  const base = new URL(baseUrl);
  if (base.protocol !== 'http:' && base.protocol !== 'https:') throw new Error('The weather source must be an http(s) URL');
  return {
    name: 'open-meteo',
    async forecast(place) {
      const url = new URL('v1/forecast', base.href.endsWith('/') ? base : `${base.href}/`);
      url.search = new URLSearchParams({
        latitude: String(place.latitude),
        longitude: String(place.longitude),
        current: 'temperature_2m,relative_humidity_2m,wind_speed_10m,weather_code',
        hourly: 'temperature_2m,weather_code',
        forecast_hours: String(FORECAST_HOURS + 1),
        wind_speed_unit: 'kmh',
        timeformat: 'unixtime',
        timezone: 'GMT',
      }).toString();
      const response = await fetch(url, { signal: AbortSignal.timeout(OPEN_METEO_TIMEOUT_MS), redirect: 'error' });
      if (!response.ok) {
        await response.body?.cancel();
        throw new DxcError('http', `Open-Meteo answered ${response.status}`);
      }
      let answer: unknown;
      try {
        answer = JSON.parse(await readLimited(response));
      } catch (error) {
        if (error instanceof DxcError) throw error;
        throw new DxcError('invalid-request', 'Open-Meteo answer is not JSON');
      }
      return parseOpenMeteo(answer);
    },
  };
}
