import { defineConfig } from 'vite';
import { VitePWA } from 'vite-plugin-pwa';

/** Where `npm run dev` forwards API and WebSocket calls: a signaling server started with `npm start`. */
const signalingServer = process.env.PD_DEV_SERVER ?? 'http://localhost:30000';

export default defineConfig({
  resolve: {
    // simple-peer's package entry needs Node's stream and buffer; its standalone bundle does not.
    alias: { 'simple-peer': 'simple-peer/simplepeer.min.js' },
  },
  build: {
    target: 'es2022',
    // Kernels stay files of their own (hashed, precached by the service worker, fetched and
    // hash-checked by the runtime) however small they are.
    assetsInlineLimit: (file) => (file.endsWith('.wasm') ? false : undefined),
    sourcemap: true,
  },
  server: {
    proxy: {
      '/api': signalingServer,
      '/ws': { target: signalingServer, ws: true },
    },
  },
  plugins: [
    VitePWA({
      // The app registers the worker itself (<pd-update-prompt>) and asks before updating.
      registerType: 'prompt',
      injectRegister: false,
      includeAssets: ['icons/*.png'],
      manifest: {
        name: 'ProcessDistro',
        short_name: 'ProcessDistro',
        description: 'Turn the devices in a room into one computer.',
        id: '/',
        start_url: '/',
        scope: '/',
        display: 'standalone',
        orientation: 'any',
        theme_color: '#0f1420',
        background_color: '#0f1420',
        icons: [
          { src: '/icons/icon-192.png', sizes: '192x192', type: 'image/png', purpose: 'any' },
          { src: '/icons/icon-512.png', sizes: '512x512', type: 'image/png', purpose: 'any' },
          {
            src: '/icons/maskable-512.png',
            sizes: '512x512',
            type: 'image/png',
            purpose: 'maskable',
          },
        ],
      },
      workbox: {
        // The app shell and the kernels: everything needed to open and compute offline.
        globPatterns: ['**/*.{js,css,html,png,svg,wasm,webmanifest}'],
        maximumFileSizeToCacheInBytes: 8 * 1024 * 1024,
        navigateFallback: '/index.html',
        navigateFallbackDenylist: [/^\/api\//, /^\/ws/, /^\/metrics/, /^\/healthz/],
        cleanupOutdatedCaches: true,
      },
    }),
  ],
});
