/**
 * Parsing the configured places, `Name@latitude,longitude` each (the setting joins them with `;`),
 * e.g. `Oslo@59.91,10.75;Lisbon@38.72,-9.14`.
 */
import type { WeatherPlace } from './weather-report.js';

/** Places one server reports on. @default 50 */
export const MAX_WEATHER_PLACES = 50;
/** Characters of a place name. @default 60 */
export const MAX_PLACE_NAME_LENGTH = 60;

const PLACE_PATTERN = /^([^@;]{1,60})@(-?\d{1,2}(?:\.\d+)?),\s*(-?\d{1,3}(?:\.\d+)?)$/;

/** Parse the setting's entries; throws with the offending entry on the first bad one. */
export function parsePlaces(entries: readonly string[]): WeatherPlace[] {
  if (entries.length > MAX_WEATHER_PLACES) throw new Error(`At most ${MAX_WEATHER_PLACES} weather places`);
  const places = entries.map((entry) => {
    const match = PLACE_PATTERN.exec(entry.trim());
    const latitude = Number(match?.[2]);
    const longitude = Number(match?.[3]);
    if (!match || Math.abs(latitude) > 90 || Math.abs(longitude) > 180) {
      throw new Error(`Weather place ${JSON.stringify(entry.slice(0, 80))} is not Name@latitude,longitude`);
    }
    const name = match[1]!.trim();
    const id = name.normalize('NFKD').replace(/[\u0300-\u036f]/g, '').toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '') || 'place';
    return { id, name, latitude, longitude };
  });
  const ids = new Set(places.map((p) => p.id));
  if (ids.size !== places.length) throw new Error('Two weather places have the same name');
  return places;
}
