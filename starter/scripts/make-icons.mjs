// Draws the starter's PNG icons (192, 512 and a maskable 512) in headless Chromium from one SVG,
// so they need no image library: `node starter/scripts/make-icons.mjs`. The PNGs are committed;
// run this again only when the design changes.
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const out = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'public', 'icons');

/** The glyph on a 100×100 grid: a speech bubble with a small sun, the two scenarios. */
const GLYPH = `
  <path d="M24 30h40a10 10 0 0 1 10 10v20a10 10 0 0 1-10 10H44l-12 10v-10h-8a10 10 0 0 1-10-10V40a10 10 0 0 1 10-10z" fill="#fff"/>
  <circle cx="31" cy="50" r="4" fill="#1f5fcc"/><circle cx="44" cy="50" r="4" fill="#1f5fcc"/><circle cx="57" cy="50" r="4" fill="#1f5fcc"/>
  <circle cx="76" cy="27" r="9" fill="#ffc83d"/>`;

/** `maskable`: full-bleed background and the glyph inside the 80% safe zone. */
function svg(size, maskable) {
  const background = maskable
    ? '<rect width="100" height="100" fill="#1f5fcc"/>'
    : '<rect x="4" y="4" width="92" height="92" rx="22" fill="#1f5fcc"/>';
  const glyph = maskable ? `<g transform="translate(15 15) scale(0.7)">${GLYPH}</g>` : `<g transform="translate(4 4) scale(0.92)">${GLYPH}</g>`;
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${size}" height="${size}" viewBox="0 0 100 100">${background}${glyph}</svg>`;
}

const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox', '--disable-gpu'] });
try {
  await mkdir(out, { recursive: true });
  for (const [file, size, maskable] of [
    ['icon-192.png', 192, false],
    ['icon-512.png', 512, false],
    ['maskable-512.png', 512, true],
  ]) {
    const page = await browser.newPage({ viewport: { width: size, height: size } });
    await page.setContent(`<style>html,body{margin:0;background:transparent}</style>${svg(size, maskable)}`);
    await page.screenshot({ path: path.join(out, file), omitBackground: true });
    await page.close();
    console.log(`${file} ${size}×${size}${maskable ? ' maskable' : ''}`);
  }
} finally {
  await browser.close();
}
