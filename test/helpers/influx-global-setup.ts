import type { TestProject } from 'vitest/node';
import { installInfluxServers, startLocalServer, type LocalServer } from './influx-server.js';

// Integration project: one InfluxDB 1.x and one VictoriaMetrics for the whole run, on loopback, data in
// temp dirs. INFLUXDB_V1_URL / VICTORIA_METRICS_URL point the tests at running servers instead.

declare module 'vitest' {
  export interface ProvidedContext {
    influxV1Url: string;
    victoriaMetricsUrl: string;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const started: LocalServer[] = [];
  const v1 = process.env.INFLUXDB_V1_URL;
  const vm = process.env.VICTORIA_METRICS_URL;
  if (!v1 || !vm) await installInfluxServers();
  try {
    const influx = v1 ?? started[started.push(await startLocalServer('influxdb')) - 1].url;
    const victoria = vm ?? started[started.push(await startLocalServer('victoria-metrics')) - 1].url;
    project.provide('influxV1Url', influx);
    project.provide('victoriaMetricsUrl', victoria);
  } catch (err) {
    await Promise.all(started.map((s) => s.destroy()));
    throw err;
  }
  return async () => {
    await Promise.all(started.map((s) => s.destroy()));
  };
}
