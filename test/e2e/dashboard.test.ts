import { randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiToken } from '../../src/api/auth.js';
import { ForecastStore } from '../../src/api/forecast-store.js';
import { startHttpServer } from '../../src/api/server.js';
import { createMetrics } from '../../src/telemetry/metrics.js';
import { launchChromium } from './dashboard-browser.js';
import { startDemoDaemon } from './dashboard-daemon.js';
import { DashboardFeeder, FEEDER_STREAMS } from './dashboard-feeder.js';
import { DashboardLoad } from './dashboard-load.js';

// The live dashboard in headless Chromium: the page loads, lists the streams, draws actual vs
// forecast with its band, shows alert badges and markers, and keeps updating over SSE. Screenshots
// go to test-results/ for a look by eye.

const RESULTS = resolve(import.meta.dirname, '../../test-results');
let browser: Browser;

beforeAll(async () => {
  mkdirSync(RESULTS, { recursive: true });
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
});

const pointsShown = (page: Page) => page.$eval('#chart', (el) => Number((el as HTMLElement).dataset.points ?? 0));

async function openPage(url: string, beforeLoad?: (page: Page) => void): Promise<{ page: Page; errors: string[] }> {
  const page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.stack ?? String(e)));
  beforeLoad?.(page);
  await page.goto(url);
  return { page, errors };
}

describe('dashboard', () => {
  it('shows streams, forecast band, alert badge and markers, and updates live (synthetic feed)', async () => {
    const store = new ForecastStore();
    const feeder = new DashboardFeeder(store);
    // 102 steps: the spike on the first stream started at step 100, so its alert is firing now.
    feeder.advance(102);
    const server = await startHttpServer({
      port: 0,
      host: '127.0.0.1',
      store,
      metrics: createMetrics(),
      health: () => ({ live: true, ready: true }),
    });
    try {
      const alerted = FEEDER_STREAMS[0].key;
      const { page, errors } = await openPage(`${server.url}/#/streams/${encodeURIComponent(alerted)}`);
      await page.waitForFunction(() => Number(document.getElementById('chart')?.dataset.points ?? 0) >= 100, null, { timeout: 15_000 });
      expect(await page.$$eval('.row', (rows) => rows.length)).toBe(FEEDER_STREAMS.length);
      expect(await page.$eval('.row.selected', (r) => (r as HTMLElement).dataset.key)).toBe(alerted);
      await page.waitForSelector(`.row[data-key="${alerted}"] .pill.firing`, { timeout: 5_000 });
      expect(await page.$eval('#d-badge', (b) => b.textContent)).toContain('firing');
      expect(await page.$$eval('#alert-rows tr', (r) => r.length)).toBe(1);
      expect(await page.$eval('#s-model', (e) => e.textContent)).toBe('weather-v1');
      // From GET /api/pipelines' alerts_firing; no tokens configured: no sign-in box.
      await page.waitForFunction(() => document.getElementById('alert-count')?.textContent === '1 firing', null, { timeout: 5_000 });
      expect(await page.isHidden('#signin')).toBe(true);
      expect(await page.isHidden('#signout')).toBe(true);

      // Live: new steps arrive over SSE and the chart grows without a reload.
      const before = await pointsShown(page);
      feeder.start(50);
      await page.waitForFunction((n) => Number(document.getElementById('chart')?.dataset.points ?? 0) >= n + 5, before, {
        timeout: 10_000,
      });
      feeder.stop();
      await page.waitForTimeout(400);
      await page.screenshot({ path: join(RESULTS, 'dashboard-synthetic.png') });
      expect(errors).toEqual([]);
      await page.close();
    } finally {
      feeder.stop();
      await server.close();
    }
  });

  it('asks for a token when the API has tokens, refuses a wrong one, then lists and stays live with the token in a header only', async () => {
    const secret = `read-${randomBytes(12).toString('hex')}`;
    const store = new ForecastStore();
    const feeder = new DashboardFeeder(store);
    feeder.advance(102);
    const server = await startHttpServer({
      port: 0,
      host: '127.0.0.1',
      store,
      metrics: createMetrics(),
      health: () => ({ live: true, ready: true }),
      auth: { tokens: [apiToken(secret, 'read', 'dashboard')] },
    });
    try {
      const alerted = FEEDER_STREAMS[0].key;
      const urls: string[] = [];
      const feedAuth: (string | undefined)[] = [];
      const { page, errors } = await openPage(`${server.url}/#/streams/${encodeURIComponent(alerted)}`, (p) => {
        p.on('request', (r) => {
          urls.push(r.url());
          if (r.url().includes('/api/events')) feedAuth.push(r.headers().authorization);
        });
      });
      const storedToken = () => page.evaluate(() => sessionStorage.getItem('tidecast.token'));
      await page.waitForSelector('#signin', { state: 'visible', timeout: 10_000 });
      expect(await page.isHidden('#signin-error')).toBe(true);
      expect(await page.$$eval('.row', (r) => r.length)).toBe(0);

      // A wrong token: the box stays, with the server's reason.
      await page.fill('#signin-token', 'not-the-token');
      await page.click('#signin button');
      await page.waitForSelector('#signin-error', { state: 'visible', timeout: 5_000 });
      expect(await page.textContent('#signin-error')).toContain('invalid_token');
      expect(await page.isVisible('#signin')).toBe(true);
      expect(await storedToken()).toBeNull();
      await page.screenshot({ path: join(RESULTS, 'dashboard-signin.png') });

      // The right one: the list, the chart and the badge come; the live feed (fetch, not EventSource) connects.
      await page.fill('#signin-token', secret);
      await page.click('#signin button');
      await page.waitForSelector('#signin', { state: 'hidden', timeout: 5_000 });
      await page.waitForFunction(() => Number(document.getElementById('chart')?.dataset.points ?? 0) >= 100, null, { timeout: 15_000 });
      expect(await page.$$eval('.row', (rows) => rows.length)).toBe(FEEDER_STREAMS.length);
      await page.waitForFunction(() => document.getElementById('conn')?.textContent === 'live', null, { timeout: 10_000 });
      await page.waitForFunction(() => document.getElementById('alert-count')?.textContent === '1 firing', null, { timeout: 5_000 });
      expect(await storedToken()).toBe(secret);
      expect(await page.evaluate(() => localStorage.length)).toBe(0);
      expect(await page.isVisible('#signout')).toBe(true);

      const before = await pointsShown(page);
      feeder.start(50);
      await page.waitForFunction((n) => Number(document.getElementById('chart')?.dataset.points ?? 0) >= n + 5, before, {
        timeout: 10_000,
      });
      feeder.stop();
      expect(feedAuth.length).toBeGreaterThan(0);
      expect(feedAuth.at(-1)).toBe(`Bearer ${secret}`);
      expect(urls.filter((u) => u.includes(secret))).toEqual([]);
      await page.screenshot({ path: join(RESULTS, 'dashboard-token.png') });

      // The tab's token stops being accepted (say the daemon's tokens changed): the box again, with an error.
      await page.evaluate(() => sessionStorage.setItem('tidecast.token', 'stale-token'));
      await page.reload();
      await page.waitForSelector('#signin-error', { state: 'visible', timeout: 10_000 });
      expect(await page.textContent('#signin-error')).toContain('refused');
      expect(await storedToken()).toBeNull();

      // Sign in again, then sign out: the token is gone and the box is back.
      await page.fill('#signin-token', secret);
      await page.click('#signin button');
      await page.waitForFunction(() => document.querySelectorAll('.row').length > 0, null, { timeout: 10_000 });
      await page.click('#signout');
      await page.waitForSelector('#signin', { state: 'visible', timeout: 10_000 });
      expect(await storedToken()).toBeNull();
      expect(errors).toEqual([]);
      await page.close();
    } finally {
      feeder.stop();
      await server.close();
    }
  });

  it('lists 10,000 streams with only the rows in view in the DOM, loads more on scroll, searches on the server', async () => {
    const store = new ForecastStore({ capacity: 64 });
    const load = new DashboardLoad(store, 10_000);
    load.advance(40);
    const server = await startHttpServer({
      port: 0,
      host: '127.0.0.1',
      store,
      metrics: createMetrics(),
      health: () => ({ live: true, ready: true }),
    });
    try {
      const { page, errors } = await openPage(`${server.url}/`);
      await page.waitForFunction(() => Number(document.getElementById('chart')?.dataset.points ?? 0) > 0, null, { timeout: 30_000 });
      const domRows = () => page.$$eval('#stream-list .row, #stream-list .group', (r) => r.length);
      const keys = () => page.$$eval('#stream-list .row', (r) => r.map((x) => (x as HTMLElement).dataset.key as string));
      expect(await domRows()).toBeLessThan(60);
      const first = await keys();
      // Sorted by pipeline then key: the list opens on health's first streams.
      expect(first[0]).toBe('health/site00/s000000');
      for (let i = 0; i < 30; i++) {
        await page.evaluate(() => {
          (document.getElementById('stream-list') as HTMLElement).scrollTop += 2000;
        });
        await page.waitForTimeout(60);
      }
      await page.waitForTimeout(500);
      const scrolled = await keys();
      expect(await domRows()).toBeLessThan(60);
      expect(scrolled.every((k) => k > first[first.length - 1])).toBe(true);
      // Search: a glob answered by the server; every stream of site42 and nothing else.
      await page.fill('#filter', '*/site42/*');
      await page.waitForFunction(
        () => {
          const rows = Array.from(document.querySelectorAll('#stream-list .row')) as HTMLElement[];
          return rows.length > 0 && rows.every((r) => r.dataset.key?.includes('/site42/'));
        },
        null,
        { timeout: 10_000 },
      );
      const found = await page.$eval('.vlist-spacer', (el) => Math.round(parseFloat((el as HTMLElement).style.height) / 46));
      // 10,000 streams over 97 sites: 103 or 104 per site, plus three pipeline headers.
      expect(found).toBe(store.streamKeys().filter((k) => k.includes('/site42/')).length + 3);
      expect(errors).toEqual([]);
      await page.close();
    } finally {
      load.stop();
      await server.close();
    }
  });

  it('shows live forecasts from the real daemon on the embedded demo, which then stops cleanly', async () => {
    const daemon = await startDemoDaemon();
    try {
      const { page, errors } = await openPage(`${daemon.url}/`);
      // Selects the first stream in the list by itself (which one depends on what the daemon has seen
      // when the page opens: a health stream may be in a gap of its wearer's data for minutes).
      await page.waitForFunction(() => /^#\/streams\/.+/.test(location.hash), null, { timeout: 60_000 });
      await page.waitForFunction(() => document.querySelector('.row.selected') !== null, null, { timeout: 30_000 });
      // A weather stream has a reading every hour of data, 4 h of data per second at the demo's pace,
      // and makes the most readable picture: a daily cycle, hourly steps.
      await page.evaluate(() => {
        location.hash = `#/streams/${encodeURIComponent('weather/temp_c')}`;
      });
      await page.waitForFunction(() => Number(document.getElementById('chart')?.dataset.points ?? 0) >= 20, null, { timeout: 60_000 });
      await page.waitForFunction(() => document.getElementById('s-forecast')?.textContent !== '–', null, { timeout: 30_000 });
      const streams = await page.$$eval('.row', (rows) => rows.map((r) => (r as HTMLElement).dataset.key));
      expect(streams.some((k) => k?.startsWith('weather/'))).toBe(true);
      expect(streams.some((k) => k?.startsWith('stocks/'))).toBe(true);
      const pipelines = await page.$$eval('.pipe b', (b) => b.map((x) => x.textContent));
      expect(pipelines.sort()).toEqual(['health', 'stocks', 'weather']);
      // Live: new points arrive over SSE without a reload.
      const before = await pointsShown(page);
      await page.waitForFunction((n) => Number(document.getElementById('chart')?.dataset.points ?? 0) > n, before, { timeout: 30_000 });
      await page.waitForTimeout(3000);
      await page.screenshot({ path: join(RESULTS, 'dashboard.png') });
      expect(errors).toEqual([]);
      await page.close();
    } finally {
      expect(await daemon.stop()).toBe(0);
    }
  }, 300_000);
});
