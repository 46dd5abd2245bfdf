/**
 * Browser tests: @web/test-runner + Playwright on Debian's Chromium, against a real dxc-server the
 * dxc-server plugin starts (see scripts/wtr-dxc-server.mjs). Run with `npm run test:browser`
 * (`-- --files test/client/x.test.ts` for one file). The last line printed is
 * `N passed, N failed, N skipped`.
 */
import { defaultReporter } from '@web/test-runner';
import { playwrightLauncher } from '@web/test-runner-playwright';
import { esbuildPlugin } from '@web/dev-server-esbuild';
import { CHROMIUM_ARGS, CHROMIUM_PATH } from './scripts/chromium.mjs';
import { countReporter } from './scripts/wtr-count-reporter.mjs';
import { dxcServerPlugin } from './scripts/wtr-dxc-server.mjs';

// dexie's "import" entry default-imports its UMD build, which a browser cannot load unbundled.
const dexieEsm = {
  name: 'dexie-esm',
  resolveImport({ source }) {
    if (source === 'dexie') return '/node_modules/dexie/dist/dexie.mjs';
  },
};

const dxcServer = dxcServerPlugin();

export default {
  rootDir: '.',
  files: ['test/client/**/*.test.ts', 'test/elements/**/*.test.ts'],
  nodeResolve: { exportConditions: ['source', 'production'] },
  concurrency: 1,
  concurrentBrowsers: 1,
  testsFinishTimeout: 10 * 60 * 1000,
  reporters: [defaultReporter(), countReporter()],
  middleware: [dxcServer.middleware],
  plugins: [dexieEsm, dxcServer.plugin, esbuildPlugin({ ts: true, target: 'es2022', tsconfig: 'tsconfig.json' })],
  browsers: [
    playwrightLauncher({
      product: 'chromium',
      launchOptions: {
        executablePath: CHROMIUM_PATH,
        headless: true,
        args: [...CHROMIUM_ARGS],
      },
    }),
  ],
  testFramework: { config: { ui: 'bdd', timeout: 30000 } },
};
