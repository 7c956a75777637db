import { readFileSync } from 'node:fs';
import type { ConnectionOptions } from 'node:tls';
import { Kafka, logLevel, type KafkaConfig, type LogEntry, type SASLOptions } from 'kafkajs';
import type { KafkaConnection, KafkaRetry, KafkaSasl, KafkaTls } from './config.js';

/** The slice of a pino logger the Kafka code uses. */
export interface KafkaLog {
  debug(obj: object, msg: string): void;
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

export const silentLog: KafkaLog = { debug() {}, info() {}, warn() {}, error() {} };

/** kafkajs retry options from ours. */
export function kafkajsRetry(r: KafkaRetry): { retries: number; initialRetryTime: number; maxRetryTime: number } {
  return { retries: r.retries, initialRetryTime: r.initial_retry_ms, maxRetryTime: r.max_retry_ms };
}

function tlsOptions(tls: boolean | KafkaTls): ConnectionOptions | boolean {
  if (typeof tls === 'boolean') return tls;
  return {
    ca: tls.ca_file === undefined ? undefined : [readFileSync(tls.ca_file, 'utf8')],
    cert: tls.cert_file === undefined ? undefined : readFileSync(tls.cert_file, 'utf8'),
    key: tls.key_file === undefined ? undefined : readFileSync(tls.key_file, 'utf8'),
    servername: tls.server_name,
    rejectUnauthorized: tls.reject_unauthorized,
  };
}

function saslOptions(sasl: KafkaSasl): SASLOptions {
  if (sasl.mechanism === 'aws') {
    return {
      mechanism: 'aws',
      authorizationIdentity: sasl.authorization_identity,
      accessKeyId: sasl.access_key_id,
      secretAccessKey: sasl.secret_access_key,
      sessionToken: sasl.session_token,
    };
  }
  return { mechanism: sasl.mechanism, username: sasl.username, password: sasl.password };
}

/** kafkajs's own logging goes through ours; its ERRORs are mostly retried connection errors, hence warn. */
function logCreator(log: KafkaLog) {
  return () =>
    ({ level, log: entry }: LogEntry) => {
      const { message, timestamp: _t, logger: _l, ...fields } = entry;
      // We bound retries on purpose (outputs carry dedupe ids); kafkajs warns about that on every producer.
      if (message.startsWith('Limiting retries for the idempotent producer')) return;
      if (level <= logLevel.WARN) log.warn({ kafkajs: fields }, `Kafka client: ${message}`);
      else if (level === logLevel.INFO) log.debug({ kafkajs: fields }, `Kafka client: ${message}`);
    };
}

export function kafkajsConfig(conn: KafkaConnection, log: KafkaLog = silentLog): KafkaConfig {
  return {
    brokers: conn.brokers,
    clientId: conn.client_id,
    ssl: tlsOptions(conn.tls),
    sasl: conn.sasl === undefined ? undefined : saslOptions(conn.sasl),
    connectionTimeout: conn.connection_timeout_ms,
    requestTimeout: conn.request_timeout_ms,
    retry: kafkajsRetry(conn.retry),
    logLevel: logLevel.WARN,
    logCreator: logCreator(log),
  };
}

export function createKafka(conn: KafkaConnection, log: KafkaLog = silentLog): Kafka {
  // kafkajs warns once per producer about its v2 partitioner change; we always key messages or set partitions.
  process.env.KAFKAJS_NO_PARTITIONER_WARNING ??= '1';
  return new Kafka(kafkajsConfig(conn, log));
}
