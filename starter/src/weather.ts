/**
 * The weather panel: the reports the server's weather job keeps in the public realm, read from
 * IndexedDB. Periodic sync refreshes them in the background, so the app opens with a recent report
 * even offline, and the panel always says how old it is.
 */
import { liveQuery } from 'dexie';
import { db, type WeatherReport } from './db.js';
import { age, h, hour, time } from './format.js';
import { weatherIcon } from './weather-icons.js';

/** How often the "… minutes ago" texts are redrawn, ms. */
export const AGE_REFRESH_MS = 30_000;
/** A report older than this is flagged as stale, ms. */
export const STALE_AFTER_MS = 3 * 60 * 60_000;

function renderReport(report: WeatherReport, now: number): HTMLElement {
  const stale = now - report.observedAt > STALE_AFTER_MS;
  return h(
    'article',
    { class: `report${stale ? ' stale' : ''}`, 'data-place': report.id },
    h(
      'header',
      {},
      h('h3', {}, report.place),
      weatherIcon(report.weatherCode, report.summary),
    ),
    h('p', { class: 'now' }, h('span', { class: 'temperature' }, `${Math.round(report.temperatureC)}°`), h('span', { class: 'summary' }, report.summary)),
    h('p', { class: 'details' }, `Humidity ${report.humidity}% · Wind ${Math.round(report.windKmh)} km/h`),
    h(
      'ol',
      { class: 'hourly', 'aria-label': 'Next hours' },
      ...report.hourly.slice(0, 6).map((slot) =>
        h('li', {}, h('span', { class: 'hour' }, hour(slot.at)), weatherIcon(slot.weatherCode), h('span', {}, `${Math.round(slot.temperatureC)}°`)),
      ),
    ),
    h(
      'p',
      { class: 'age' },
      'Observed ',
      h('time', { datetime: new Date(report.observedAt).toISOString() }, time(report.observedAt, now)),
      ' · ',
      h('span', { class: 'age-text' }, age(report.observedAt, now)),
    ),
  );
}

export function mountWeather(root: HTMLElement): void {
  const list = root.querySelector<HTMLElement>('.reports')!;
  const empty = root.querySelector<HTMLElement>('.empty')!;
  const freshness = root.querySelector<HTMLElement>('.freshness')!;
  let reports: WeatherReport[] = [];

  const render = () => {
    const now = Date.now();
    list.replaceChildren(...reports.map((report) => renderReport(report, now)));
    empty.hidden = reports.length > 0;
    const latest = Math.max(...reports.map((r) => r.updatedAt));
    freshness.textContent = reports.length ? `Server refreshed ${age(latest, now)}` : '';
    freshness.title = reports.length ? new Date(latest).toLocaleString() : '';
  };
  liveQuery(() => db.weather.orderBy('id').toArray()).subscribe((rows) => {
    reports = rows;
    render();
  });
  setInterval(render, AGE_REFRESH_MS);
}
