import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

// The dashboard's files, read once at start-up (a few tens of KB): the page, its script and styles
// from src/dashboard/, and uPlot from node_modules. Served from memory, so a running daemon does not
// depend on the working directory.

export interface StaticAsset {
  readonly body: Buffer;
  readonly contentType: string;
}

const DASHBOARD_FILES: Readonly<Record<string, string>> = {
  '/': 'index.html',
  '/app.js': 'app.js',
  '/api-session.js': 'api-session.js',
  '/charts.js': 'charts.js',
  '/embedding-map.js': 'embedding-map.js',
  '/embedding-map-layout.js': 'embedding-map-layout.js',
  '/event-feed.js': 'event-feed.js',
  '/sign-in.js': 'sign-in.js',
  '/sse-parser.js': 'sse-parser.js',
  '/stream-pages.js': 'stream-pages.js',
  '/virtual-list.js': 'virtual-list.js',
  '/style.css': 'style.css',
  '/favicon.svg': 'favicon.svg',
};

const TYPES: Readonly<Record<string, string>> = {
  html: 'text/html; charset=utf-8',
  js: 'text/javascript; charset=utf-8',
  css: 'text/css; charset=utf-8',
  svg: 'image/svg+xml',
};

function typeOf(file: string): string {
  return TYPES[file.slice(file.lastIndexOf('.') + 1)] ?? 'application/octet-stream';
}

/** URL path -> asset. `dashboardDir` defaults to src/dashboard beside this file's folder. */
export function loadDashboardAssets(dashboardDir?: string): Map<string, StaticAsset> {
  const dir = dashboardDir ?? join(dirname(fileURLToPath(import.meta.url)), '..', 'dashboard');
  const assets = new Map<string, StaticAsset>();
  for (const [url, file] of Object.entries(DASHBOARD_FILES)) {
    assets.set(url, { body: readFileSync(join(dir, file)), contentType: typeOf(file) });
  }
  const uplotDir = dirname(createRequire(import.meta.url).resolve('uplot'));
  assets.set('/vendor/uplot.js', { body: readFileSync(join(uplotDir, 'uPlot.iife.min.js')), contentType: TYPES.js });
  assets.set('/vendor/uplot.css', { body: readFileSync(join(uplotDir, 'uPlot.min.css')), contentType: TYPES.css });
  return assets;
}
