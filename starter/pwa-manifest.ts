/**
 * The starter's web app manifest, handed to vite-plugin-pwa by the root vite.config.ts (which
 * writes it as `manifest.webmanifest` and links it from index.html). Apps built from another root
 * (the service worker tests' app) get a minimal manifest without icons.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { ManifestOptions } from 'vite-plugin-pwa';

/** The theme colour: the accent of the app bar (also in index.html's theme-color meta). */
export const THEME_COLOR = '#1f5fcc';
/** The splash screen background. */
export const BACKGROUND_COLOR = '#f6f8fa';

export const starterManifest: Partial<ManifestOptions> = {
  id: '/',
  name: 'dxc starter: chat and weather',
  short_name: 'dxc starter',
  description: 'An offline-first chat room and weather report, synced by dxc.',
  start_url: '/',
  scope: '/',
  display: 'standalone',
  orientation: 'any',
  theme_color: THEME_COLOR,
  background_color: BACKGROUND_COLOR,
  icons: [
    { src: '/icons/icon-192.png', sizes: '192x192', type: 'image/png', purpose: 'any' },
    { src: '/icons/icon-512.png', sizes: '512x512', type: 'image/png', purpose: 'any' },
    { src: '/icons/maskable-512.png', sizes: '512x512', type: 'image/png', purpose: 'maskable' },
  ],
};

/** The manifest for the app at `appRoot`: the starter's when the app ships its icons. */
export function manifestFor(appRoot: string): Partial<ManifestOptions> {
  if (fs.existsSync(path.join(appRoot, 'public', 'icons', 'icon-512.png'))) return starterManifest;
  return { name: 'dxc', short_name: 'dxc', start_url: '/', display: 'standalone', icons: [] };
}
