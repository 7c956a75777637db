import {
  KafkaJSConnectionError,
  KafkaJSGroupCoordinatorNotFound,
  KafkaJSNonRetriableError,
  KafkaJSSASLAuthenticationError,
  KafkaJSServerDoesNotSupportApiKey,
} from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { isBrokerOutage } from './broker-outage.js';

// kafkajs's typings lag its constructors: (message or error, { cause }) for all of these.
type ErrorClass = new (e: Error | string, o?: { cause?: Error }) => Error;
const make = (c: unknown, e: Error | string, cause?: Error) => new (c as ErrorClass)(e, { cause });

describe('isBrokerOutage', () => {
  it('sees an outage through kafkajs\'s "non-retriable" wrapper (a coordinator not found during a broker restart)', () => {
    const cause = make(KafkaJSGroupCoordinatorNotFound, 'Failed to find group coordinator');
    const crash = make(KafkaJSNonRetriableError, cause, cause);
    expect(crash.name).toBe('KafkaJSNonRetriableError');
    expect(isBrokerOutage(crash)).toBe(true);
    expect(isBrokerOutage(new KafkaJSConnectionError('connect ECONNREFUSED 127.0.0.1:9092'))).toBe(true);
  });

  it('leaves errors that a wait cannot fix to fail the source', () => {
    const auth = make(KafkaJSSASLAuthenticationError, 'SASL SCRAM SHA512 authentication failed');
    expect(isBrokerOutage(make(KafkaJSNonRetriableError, auth, auth))).toBe(false);
    expect(isBrokerOutage(new KafkaJSServerDoesNotSupportApiKey('unsupported'))).toBe(false);
    expect(isBrokerOutage(new Error('boom'))).toBe(false);
    expect(isBrokerOutage('not an error')).toBe(false);
  });
});
