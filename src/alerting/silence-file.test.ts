import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { buildHttpApp } from '../api/server.js';
import { ForecastStore } from '../api/forecast-store.js';
import { createLogger, memoryDestination, silentLogger } from '../telemetry/logger.js';
import { createMetrics } from '../telemetry/metrics.js';
import { AlertEngine } from './alert-engine.js';
import { PersistedSilences, silencesPath } from './silence-file.js';
import { Silences } from './silences.js';

const HOUR = 3_600_000;
const NOW = Date.UTC(2026, 10, 23, 12);

describe('PersistedSilences', () => {
  let dir: string;
  let path: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'tidecast-silences-'));
    path = silencesPath(join(dir, 'state'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('keeps a silence across a restart, under the same id, and forgets a deleted one', async () => {
    const first = new Silences();
    const api = await PersistedSilences.open(first, path, silentLogger(), NOW);
    const kept = await api.add({
      pattern: 'stocks/*',
      rule: 'price-jump',
      starts_at: NOW - HOUR,
      ends_at: NOW + HOUR,
      comment: 'split day',
    });
    const dropped = await api.add({ pattern: 'weather/**', starts_at: NOW, ends_at: NOW + HOUR });
    expect(await api.remove(dropped.id)).toBe(true);

    const second = new Silences();
    const reopened = await PersistedSilences.open(second, path, silentLogger(), NOW);
    expect(reopened.list()).toEqual([kept]);
    expect(second.isSilenced('stocks/AAPL', 'price-jump', NOW)).toBe(true);
    expect(second.isSilenced('stocks/AAPL', 'other-rule', NOW)).toBe(false);
    expect(second.isSilenced('weather/KSEA/temp_c', 'deviation', NOW)).toBe(false);
    // New ids after a restart do not reuse a restored one.
    const next = await reopened.add({ pattern: 'x/*', starts_at: NOW, ends_at: NOW + HOUR });
    expect(next.id).not.toBe(kept.id);
    expect(await reopened.remove(kept.id)).toBe(true);
    const third = new Silences();
    expect((await PersistedSilences.open(third, path, silentLogger(), NOW)).list().map((s) => s.pattern)).toEqual(['x/*']);
  });

  it('drops silences that ended before the restart', async () => {
    const api = await PersistedSilences.open(new Silences(), path, silentLogger(), NOW);
    await api.add({ pattern: 'a/*', starts_at: NOW - 2 * HOUR, ends_at: NOW - HOUR });
    await api.add({ pattern: 'b/*', starts_at: NOW - 2 * HOUR, ends_at: NOW + HOUR });
    const later = new Silences();
    await PersistedSilences.open(later, path, silentLogger(), NOW);
    expect(later.listSilences().map((s) => s.pattern)).toEqual(['b/*']);
  });

  it('starts empty with an error logged when the file is corrupt, and moves it aside', async () => {
    for (const content of ['{"version":1,"silences":[{"id":', '{"version":1,"silences":[{"id":"silence-1","pattern":""}]}']) {
      await rm(`${path}.corrupt`, { force: true });
      await mkdir(dirname(path), { recursive: true });
      await writeFile(path, content);
      const logs = memoryDestination();
      const host = new Silences();
      const api = await PersistedSilences.open(host, path, createLogger({ destination: logs }), NOW);
      expect(api.list()).toEqual([]);
      const error = logs.lines.find((l) => l.level === 'error');
      expect(error?.msg).toBe('Saved silences file is corrupt; starting without them (the API can add them again).');
      expect(error?.path).toBe(path);
      expect(await readFile(`${path}.corrupt`, 'utf8')).toBe(content);
      // It still saves what comes next.
      await api.add({ pattern: 'c/*', starts_at: NOW, ends_at: NOW + HOUR });
      expect(JSON.parse(await readFile(path, 'utf8')).silences.map((s: { pattern: string }) => s.pattern)).toEqual(['c/*']);
    }
  });

  it('does not save silences from the pipeline file, and keeps a saved id the file took as a new one', async () => {
    const config = { rules: [], silences: [{ pattern: 'cfg/*', starts_at: 0, ends_at: NOW + HOUR }] };
    const engine = new AlertEngine('p', config);
    const api = await PersistedSilences.open(engine, path, silentLogger(), NOW);
    const mine = await api.add({ pattern: 'api/*', starts_at: 0, ends_at: NOW + HOUR });
    expect(mine.id).toBe('silence-2');
    const saved = JSON.parse(await readFile(path, 'utf8')) as { silences: { id: string; pattern: string }[] };
    expect(saved.silences).toEqual([{ id: 'silence-2', pattern: 'api/*', starts_at: 0, ends_at: NOW + HOUR, comment: '' }]);

    // The pipeline file now has two silences: silence-2 is taken, the saved one gets a fresh id.
    const twoConfigured = new AlertEngine('p', {
      ...config,
      silences: [...config.silences, { pattern: 'cfg2/*', starts_at: 0, ends_at: NOW + HOUR }],
    });
    await PersistedSilences.open(twoConfigured, path, silentLogger(), NOW);
    expect(twoConfigured.listSilences().map((s) => `${s.id}=${s.pattern}`)).toEqual([
      'silence-1=cfg/*',
      'silence-2=cfg2/*',
      'silence-3=api/*',
    ]);
  });

  it('undoes a change it could not save and reports the failure', async () => {
    const blocker = join(dir, 'not-a-dir');
    await writeFile(blocker, 'x');
    const host = new Silences();
    const api = await PersistedSilences.open(host, silencesPath(blocker), silentLogger(), NOW);
    await expect(api.add({ pattern: 'a/*', starts_at: 0, ends_at: NOW + HOUR })).rejects.toThrow();
    expect(host.listSilences()).toEqual([]);
  });

  it('keeps a silence made over the HTTP API across a restart of the engine', async () => {
    const alerting = { rules: [] };
    const engine = new AlertEngine('stocks', alerting);
    const silences = await PersistedSilences.open(engine, path, silentLogger(), NOW);
    const { app } = buildHttpApp({
      store: new ForecastStore(),
      metrics: createMetrics(),
      health: () => ({ live: true, ready: true }),
      silences: new Map([['stocks', silences]]),
    });
    const res = await app.inject({
      method: 'POST',
      url: '/api/silences',
      headers: { 'content-type': 'application/json' },
      payload: JSON.stringify({ pattern: 'stocks/*', starts_at: NOW, ends_at: NOW + HOUR, comment: 'split day' }),
    });
    await app.close();
    expect(res.statusCode).toBe(201);
    expect(existsSync(path)).toBe(true);

    const restarted = new AlertEngine('stocks', alerting);
    await PersistedSilences.open(restarted, path, silentLogger(), NOW);
    expect(restarted.listSilences()).toEqual([
      { id: res.json().id, pattern: 'stocks/*', startsAt: NOW, endsAt: NOW + HOUR, comment: 'split day' },
    ]);
  });
});
