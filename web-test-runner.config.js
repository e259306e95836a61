// @ts-check
// Browser tests: tests/browser/**/*.test.ts in Debian's Chromium, driven by Playwright.
// Run through `npm run test:browser`, which wraps this in scripts/netns.sh: WebRTC gathers no
// ICE candidate on loopback alone, and the namespace's veth pair gives it one that cannot leave
// the machine. Assertions come from @esm-bundle/chai; describe/it are mocha's globals.
import { esbuildPlugin } from '@web/dev-server-esbuild';
import { playwrightLauncher } from '@web/test-runner-playwright';
import { CHROMIUM_ARGS, CHROMIUM_PATH } from './scripts/chromium.js';

const simplePeerBundle = '/node_modules/simple-peer/simplepeer.min.js';

/**
 * Resolves the bare import `simple-peer` to its standalone bundle, as vite.config.ts does: the
 * package entry needs Node's stream and buffer. The bundle is UMD, so an ES module default
 * export is appended: run as a module it finds no `exports` or `define` and sets
 * `window.SimplePeer`.
 * @returns {import('@web/dev-server-core').Plugin}
 */
function simplePeerAlias() {
  return {
    name: 'simple-peer-alias',
    resolveImport({ source }) {
      return source === 'simple-peer' ? simplePeerBundle : undefined;
    },
    transform(context) {
      if (context.path !== simplePeerBundle) return undefined;
      return { body: `${context.body}\nexport default globalThis.SimplePeer;\n` };
    },
  };
}

export default {
  files: ['tests/browser/**/*.test.ts'],
  nodeResolve: true,
  // Real peer connections and 20 MiB transfers compete for the CPU; one file at a time keeps
  // throughput figures meaningful and timeouts rare.
  concurrency: 1,
  testsFinishTimeout: 5 * 60_000,
  testFramework: { config: { timeout: 20_000 } },
  plugins: [
    simplePeerAlias(),
    esbuildPlugin({ ts: true, target: 'es2022', tsconfig: 'tsconfig.json' }),
  ],
  browsers: [
    playwrightLauncher({
      product: 'chromium',
      // A plain launch (not launchPersistentContext) gets a fresh temporary profile each run,
      // and every test file a fresh browser context, so no IndexedDB data leaks between runs.
      launchOptions: { executablePath: CHROMIUM_PATH, headless: true, args: CHROMIUM_ARGS },
    }),
  ],
};
