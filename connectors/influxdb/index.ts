// InfluxDB connector: backfill and tail source, forecast and alert sink, v1 (InfluxQL) and v2 (Flux) APIs.
export { InfluxConnection, InfluxSinkConfig, InfluxSourceConfig, RetryConfig } from './config.js';
export type { InfluxConnectionConfig, InfluxSinkOptions, InfluxSourceOptions, RetryOptions } from './config.js';
export { InfluxSource, type InfluxSourceContext, type InfluxSourceStats, type TimeRange } from './source.js';
export { InfluxSink, type ForecastWrite, type InfluxSinkContext } from './sink.js';
export type { AlertPointInput } from './points.js';
export { connect, type LineWriter } from './connect.js';
export { InfluxV1Http } from './v1-http.js';
export { influxOutputSink, influxRuntimeSource, alertToPoint, type InfluxRuntimeOptions } from './runtime.js';
