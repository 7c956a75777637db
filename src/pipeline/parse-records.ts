import { map, type OperatorFunction } from 'rxjs';
import type { IngestBatch } from '../core/ports.js';
import type { DeadLetter, Observation, RawRecord } from '../core/types.js';
import type { PipelineDataOptions, PipelineDataOptionsInput } from '../operators/options.js';
import { RecordParser } from '../operators/parse.js';

// Raw records (JSON, CSV or line-protocol payloads, as a Kafka or HTTP source receives them) to a
// batch of observations, one loop per batch over src/operators' RecordParser; records that do not
// parse become the batch's dead letters (intake() hands them to the engine).

export function parseRecords(options: PipelineDataOptions | PipelineDataOptionsInput): OperatorFunction<readonly RawRecord[], IngestBatch> {
  const parser = new RecordParser(options);
  return map((records) => {
    const observations: Observation[] = [];
    const deadLetters: DeadLetter[] = [];
    const sink = {
      observation: (o: Observation) => {
        observations.push(o);
      },
      deadLetter: (d: DeadLetter<RawRecord>) => {
        deadLetters.push(d);
      },
    };
    for (const r of records) parser.parse(r, sink);
    return { observations, deadLetters };
  });
}
