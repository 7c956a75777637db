import type { OperatorFunction } from 'rxjs';
import type { DeadLetter, Observation, RawRecord } from '../core/types.js';
import type { OperatorContext } from './context.js';
import { keyedOperator } from './keyed-operator.js';
import { PipelineDataOptions, type PipelineDataOptionsInput } from './options.js';
import { CsvParser } from './parse-csv.js';
import { JsonParser } from './parse-json.js';
import { LineProtocolParser } from './parse-line-protocol.js';
import type { ParseSink } from './parse-sink.js';

// Raw records of any of the three formats -> observations; bad ones -> ctx.deadLetter, counted.

export class RecordParser {
  private readonly json: JsonParser;
  private readonly line: LineProtocolParser;
  private readonly csv: CsvParser;

  constructor(options: PipelineDataOptions | PipelineDataOptionsInput) {
    const o = PipelineDataOptions.parse(options);
    const cfg = { input: o.input, fieldNames: o.fields.map((f) => f.name) };
    this.json = new JsonParser(cfg);
    this.line = new LineProtocolParser(cfg);
    this.csv = new CsvParser(cfg);
  }

  /** One element of a JSON body parsed already (HTTP ingest); `raw` is what its dead letters carry. */
  parseJsonValue(value: unknown, raw: RawRecord, sink: ParseSink): void {
    this.json.parseValue(value, raw, sink);
  }

  parse(raw: RawRecord, sink: ParseSink): void {
    if (raw === null || typeof raw !== 'object' || typeof raw.payload !== 'string') {
      sink.deadLetter({ record: raw, code: 'parse_error', detail: 'not a raw record with a string payload', origin: raw?.origin });
      return;
    }
    if (raw.format === 'json') this.json.parse(raw, sink);
    else if (raw.format === 'line') this.line.parse(raw, sink);
    else if (raw.format === 'csv') this.csv.parse(raw, sink);
    else sink.deadLetter({ record: raw, code: 'parse_error', detail: `unknown format "${String(raw.format)}"`, origin: raw.origin });
  }
}

/** A sink that forwards observations and reports dead letters to the context, counting them. */
export function contextSink(ctx: OperatorContext, onObservation: (o: Observation) => void): ParseSink {
  return {
    observation: onObservation,
    deadLetter: (d: DeadLetter<RawRecord>) => {
      ctx.metrics.error(d.code, 'parse', 1);
      ctx.deadLetter(d);
    },
  };
}

export function parse(
  options: PipelineDataOptions | PipelineDataOptionsInput,
  ctx: OperatorContext,
): OperatorFunction<RawRecord, Observation> {
  return keyedOperator<RawRecord, Observation>(ctx, null, () => {
    const parser = new RecordParser(options);
    let out: (o: Observation) => void = () => {};
    const sink = contextSink(ctx, (o) => out(o));
    return {
      next(raw, emit) {
        ctx.metrics.received(1);
        out = emit;
        parser.parse(raw, sink);
      },
      complete() {},
    };
  });
}
