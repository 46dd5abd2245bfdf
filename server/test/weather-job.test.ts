/** The weather job: sources (built-in generator, Open-Meteo over HTTP) and reports written through the REST API. */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { PUBLIC_REALM } from 'dxc/protocol';
import { configFromArgs } from '../src/config.js';
import { generatedSource, parsePlaces, WEATHER_CLIENT_FILE } from '../src/weather/index.js';
import { freshDataDir, startAuthServer, startLocalHttpServer, type LocalHttpServer, type TestServer } from './helpers/auth-helpers.js';
import { postSync, syncRequest } from './helpers/sync-helpers.js';

const OSLO = parsePlaces(['Oslo@59.91,10.75'])[0]!;

/** The weather rows an anonymous client pulls. */
async function pulledWeather(server: TestServer): Promise<Map<string, any>> {
  const answer = await postSync(server, syncRequest());
  assert.equal(answer.status, 200);
  const rows = new Map<string, any>();
  for (const set of answer.body.changes) {
    if (set.table !== 'weather') continue;
    for (const mut of set.muts) if (mut.type === 'upsert') mut.keys.forEach((k: string, i: number) => rows.set(k, mut.values[i]));
  }
  return rows;
}

/** An answer in Open-Meteo's forecast format (timeformat=unixtime). */
function openMeteoAnswer(nowSeconds: number, temperature: number) {
  const hour = Math.floor(nowSeconds / 3600) * 3600;
  return {
    latitude: 59.9,
    longitude: 10.75,
    generationtime_ms: 0.1,
    utc_offset_seconds: 0,
    timezone: 'GMT',
    current_units: { time: 'unixtime', temperature_2m: '°C', relative_humidity_2m: '%', wind_speed_10m: 'km/h', weather_code: 'wmo code' },
    current: { time: hour, interval: 900, temperature_2m: temperature, relative_humidity_2m: 81, wind_speed_10m: 14.4, weather_code: 61 },
    hourly_units: { time: 'unixtime', temperature_2m: '°C', weather_code: 'wmo code' },
    hourly: {
      time: Array.from({ length: 13 }, (_, i) => hour + i * 3600),
      temperature_2m: Array.from({ length: 13 }, (_, i) => temperature + i / 10),
      weather_code: Array.from({ length: 13 }, () => 3),
    },
  };
}

describe('weather', () => {
  const servers: (TestServer | LocalHttpServer)[] = [];
  after(async () => {
    for (const s of servers) await s.close();
  });

  test('the generator gives the same weather for the same place and quarter-hour', async () => {
    const source = generatedSource();
    const at = Date.UTC(2030, 5, 1, 14, 5);
    const a = await source.forecast(OSLO, at);
    assert.deepEqual(await source.forecast(OSLO, at + 60_000), a);
    assert.equal(a.observedAt, Date.UTC(2030, 5, 1, 14, 0));
    assert.equal(a.hourly.length, 12);
    assert.ok(a.hourly.every((h) => h.at > at && h.temperatureC > -60 && h.temperatureC < 60));
    assert.notDeepEqual(await source.forecast(parsePlaces(['Cairo@30.04,31.24'])[0]!, at), a);
  });

  test('parses places and refuses malformed ones', () => {
    assert.deepEqual(parsePlaces(['São Paulo@-23.55,-46.63']), [{ id: 'sao-paulo', name: 'São Paulo', latitude: -23.55, longitude: -46.63 }]);
    for (const bad of ['Oslo', 'Oslo@95,10', 'Oslo@59,190', '@1,2']) assert.throws(() => parsePlaces([bad]), /Name@latitude,longitude/);
    assert.throws(() => parsePlaces(['A@1,2', 'a@3,4']), /same name/);
    const config = configFromArgs(['--weather-places', 'Oslo@59.91,10.75;Lisbon@38.72,-9.14', '--weather-interval', '60']);
    assert.deepEqual(config.weatherPlaces, ['Oslo@59.91,10.75', 'Lisbon@38.72,-9.14']);
    assert.equal(config.weatherIntervalSeconds, 60);
  });

  test('the job writes a report per place through the REST API, which every client pulls', async () => {
    const server = await startAuthServer({ weatherPlaces: ['Oslo@59.91,10.75', 'Lisbon@38.72,-9.14'] });
    servers.push(server);
    const reports = await server.weather!.refresh();
    assert.deepEqual(reports.map((r) => r.id).sort(), ['lisbon', 'oslo']);
    const rows = await pulledWeather(server);
    const oslo = rows.get('oslo');
    assert.equal(oslo.realmId, PUBLIC_REALM);
    assert.equal(oslo.place, 'Oslo');
    assert.equal(oslo.source, 'generated');
    assert.equal(oslo.updatedAt, server.clock.now());
    assert.equal(typeof oslo.summary, 'string');
    assert.deepEqual(oslo, reports.find((r) => r.id === 'oslo'));

    // The job's API client is registered once, readable by the owner only, and reused after a restart.
    const file = path.join(server.dataDir, WEATHER_CLIENT_FILE);
    assert.equal(fs.statSync(file).mode & 0o777, 0o600);
    const { clientId } = JSON.parse(fs.readFileSync(file, 'utf8'));
    await server.close();
    servers.pop();
    const again = await startAuthServer({ dataDir: server.dataDir, weatherPlaces: ['Oslo@59.91,10.75'] });
    servers.push(again);
    await again.weather!.refresh(); // the run started with the server
    again.clock.advance(3_600_000);
    await again.weather!.refresh();
    assert.equal(JSON.parse(fs.readFileSync(file, 'utf8')).clientId, clientId);
    assert.equal((await pulledWeather(again)).get('oslo').updatedAt, again.clock.now());
  });

  test('reads Open-Meteo\'s forecast format, and keeps the last report when the provider fails', async () => {
    let answer: { status: number; body: string } = { status: 200, body: '' };
    const provider = await startLocalHttpServer((_request, response) => {
      response.writeHead(answer.status, { 'Content-Type': 'application/json' }).end(answer.body);
    });
    servers.push(provider);
    const server = await startAuthServer({ dataDir: freshDataDir(), weatherPlaces: ['Oslo@59.91,10.75'], weatherSource: provider.url });
    servers.push(server);
    const nowSeconds = Math.floor(server.clock.now() / 1000);
    answer = { status: 200, body: JSON.stringify(openMeteoAnswer(nowSeconds, 4.2)) };
    await server.weather!.refresh();

    const query = new URL(provider.requests.at(-1)!.url, provider.url);
    assert.equal(query.pathname, '/v1/forecast');
    assert.equal(query.searchParams.get('latitude'), '59.91');
    assert.equal(query.searchParams.get('longitude'), '10.75');
    assert.equal(query.searchParams.get('timeformat'), 'unixtime');
    assert.match(query.searchParams.get('current')!, /temperature_2m/);
    const oslo = (await pulledWeather(server)).get('oslo');
    assert.equal(oslo.source, 'open-meteo');
    assert.equal(oslo.temperatureC, 4.2);
    assert.equal(oslo.humidity, 81);
    assert.equal(oslo.windKmh, 14.4);
    assert.equal(oslo.summary, 'Rain');
    assert.equal(oslo.observedAt, Math.floor(nowSeconds / 3600) * 3600 * 1000);
    assert.equal(oslo.hourly.length, 12);
    assert.ok(oslo.hourly.every((h: { at: number }) => h.at > oslo.observedAt));

    for (const broken of [
      { status: 500, body: '{}' },
      { status: 200, body: 'not json' },
      { status: 200, body: JSON.stringify({ ...openMeteoAnswer(nowSeconds, 4.2), current: { time: nowSeconds, temperature_2m: 900 } }) },
      { status: 200, body: JSON.stringify({ hourly: {} }) },
    ]) {
      answer = broken;
      server.clock.advance(60_000);
      assert.deepEqual(await server.weather!.refresh(), []);
      assert.deepEqual((await pulledWeather(server)).get('oslo'), oslo, `kept after ${broken.body.slice(0, 30)}`);
    }
  });
});
