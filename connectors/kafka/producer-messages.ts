import type { KafkaSinkConfig } from './config.js';
import type { PackedForecasts } from './packed-forecasts.js';
import type { PackedRecords } from './packed-records.js';

// The messages between a ThreadedProducerSink and its producer thread.

export type ProducerOptions = Pick<KafkaSinkConfig, 'connection' | 'compression' | 'acks'>;

export type ToProducer =
  | { readonly type: 'send'; readonly id: number; readonly records: PackedRecords; readonly forecasts?: PackedForecasts }
  | { readonly type: 'connect'; readonly id: number }
  | { readonly type: 'close' };

export type FromProducer =
  | { readonly type: 'ready' }
  | { readonly type: 'done'; readonly id: number }
  | { readonly type: 'failed'; readonly id: number; readonly message: string }
  | { readonly type: 'log'; readonly level: 'warn' | 'error'; readonly fields: object; readonly message: string }
  | { readonly type: 'closed' };
