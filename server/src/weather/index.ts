export { createWeatherJob, sourceOf, WEATHER_CLIENT_FILE, type AppRequest, type WeatherJob } from './weather-job.js';
export { generatedSource, GENERATED_SLOT_MS } from './generated-source.js';
export { openMeteoSource, parseOpenMeteo } from './open-meteo-source.js';
export { parsePlaces } from './places.js';
export * from './weather-report.js';
