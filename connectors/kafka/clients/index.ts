import type { Kafka } from 'kafkajs';
import { silentLog, type KafkaLog } from '../client.js';
import type { KafkaConnection } from '../config.js';
import { KafkajsClient } from './kafkajs-client.js';
import { PlatformaticClient } from './platformatic-client.js';
import type { KafkaClient } from './port.js';

export type * from './port.js';

/**
 * The client `connection.client` names; an existing kafkajs instance is reused when that is the one. SASL
 * `aws` (MSK IAM) only kafkajs does: it is used then, with a warning.
 */
export function createKafkaClient(conn: KafkaConnection, log: KafkaLog = silentLog, kafka?: Kafka): KafkaClient {
  if (conn.client === 'platformatic' && conn.sasl?.mechanism === 'aws') {
    log.warn({}, 'SASL aws (MSK IAM) needs the kafkajs client: using kafkajs for this connection.');
    return new KafkajsClient(conn, log, kafka);
  }
  return conn.client === 'platformatic' ? new PlatformaticClient(conn, log) : new KafkajsClient(conn, log, kafka);
}
