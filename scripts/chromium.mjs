// Debian's Chromium, as every browser test and benchmark launches it (research/toolchain.md §1).
// The network flags matter: this machine refuses outside connections, and without them Chromium
// keeps opening (and failing) background connections to Google's hosts.

/** The browser binary; `DXC_CHROMIUM` points elsewhere. */
export const CHROMIUM_PATH = process.env.DXC_CHROMIUM ?? '/usr/bin/chromium';

/** Launch flags: no sandbox (root in CI), no GPU, no background networking, updates or sync. */
export const CHROMIUM_ARGS = Object.freeze([
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-quic',
  '--no-first-run',
]);
