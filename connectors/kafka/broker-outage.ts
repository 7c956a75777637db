// Which client errors mean "the brokers are away for now" rather than "this cannot work": the first kind
// is waited out (the consumer runs again), the second fails the source.

/** kafkajs error names that a broker restart or a moving coordinator/leader produces. */
const OUTAGE_ERRORS = new Set([
  'KafkaJSConnectionError',
  'KafkaJSConnectionClosedError',
  'KafkaJSRequestTimeoutError',
  'KafkaJSBrokerNotFound',
  'KafkaJSNoBrokerAvailableError',
  'KafkaJSGroupCoordinatorNotFound',
  'KafkaJSNumberOfRetriesExceeded',
]);

/**
 * Whether an error (or any error it was caused by) is a broker outage. kafkajs wraps the error that gave up
 * (a coordinator not found while a restarted broker comes back is "non-retriable"), so the chain is walked.
 */
export function isBrokerOutage(err: unknown): boolean {
  for (let e = err, depth = 0; e instanceof Error && depth < 8; e = e.cause, depth++) {
    if (OUTAGE_ERRORS.has(e.name) || (e as { retriable?: unknown }).retriable === true) return true;
  }
  return false;
}
