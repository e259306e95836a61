/**
 * Serves the built app from `dist/` with sirv, with caching suited to a PWA: files whose
 * names never change (the service worker, the page, the manifest) are revalidated on every
 * load so updates reach users, and content-hashed files under /assets/ are cached forever.
 */
import { existsSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { join } from 'node:path';
import sirv from 'sirv';

/** Cache-Control of content-hashed build output. */
export const IMMUTABLE_CACHE = 'public, max-age=31536000, immutable';

/** Cache-Control of everything else: always ask, and let the ETag make it cheap. */
export const REVALIDATE_CACHE = 'no-cache';

/**
 * Cache-Control for a request path. Only /assets/ is hashed by Vite; sw.js, registerSW.js,
 * index.html and manifest.webmanifest keep their names, as does anything copied from public/.
 */
export function cacheControlFor(pathname: string): string {
  return pathname.startsWith('/assets/') ? IMMUTABLE_CACHE : REVALIDATE_CACHE;
}

/** The page shown while there is no build to serve. */
export function missingBuildPage(distDir: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>ProcessDistro: app not built</title>
<meta name="viewport" content="width=device-width, initial-scale=1"></head>
<body style="font-family: system-ui, sans-serif; max-width: 40rem; margin: 3rem auto; padding: 0 1rem">
<h1>The app has not been built yet</h1>
<p>The server found no <code>index.html</code> in <code>${escapeHtml(distDir)}</code>.</p>
<p>Run <code>npm run build</code> on the host (or start it with <code>npm start</code>, which
builds when needed), then reload this page.</p>
</body></html>
`;
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** A request handler for static files. */
export type StaticHandler = (req: IncomingMessage, res: ServerResponse) => void;

/** Serves `distDir`; 503 with instructions while it has no index.html, 404 for unknown paths. */
export function createStaticHandler(distDir: string): StaticHandler {
  // dev mode makes sirv look files up on each request instead of listing them once at
  // start: the app may be (re)built while the server runs, and the list would go stale.
  const serve = sirv(distDir, {
    dev: true,
    etag: true,
    setHeaders(res, pathname) {
      res.setHeader('Cache-Control', cacheControlFor(pathname));
      res.setHeader('X-Content-Type-Options', 'nosniff');
    },
    onNoMatch(_req, res) {
      res.writeHead(404, { 'Content-Type': 'text/plain; charset=utf-8' });
      res.end('not found\n');
    },
  });
  const indexPath = join(distDir, 'index.html');
  return (req, res) => {
    if (!existsSync(indexPath)) {
      res.writeHead(503, {
        'Content-Type': 'text/html; charset=utf-8',
        'Cache-Control': 'no-store',
        'Retry-After': '10',
      });
      res.end(missingBuildPage(distDir));
      return;
    }
    serve(req, res);
  };
}
