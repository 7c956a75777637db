// Tidecast embedded in your own service: the daemon's pipeline for one pipeline file, composed in
// code with RxJS. Every source of the file is an Observable of batches pulled on demand; the
// batches pass the engine's stages and the file's sinks, and commit() acknowledges each batch once
// its outputs are written. When the sources end, every stream's last step is closed and forecast,
// as `tidecast run` does. Run it:
//   npx tsx examples/embed.ts my-pipeline.yaml
// In your own project import from 'tidecast' instead of '../src/index.js'.
import { lastValueFrom, merge, reduce, tap } from 'rxjs';
import {
  alertOn,
  commit,
  createEngine,
  createSink,
  createSource,
  dataPart,
  endOfData,
  features,
  fileSources,
  forecast,
  fromSource,
  intake,
  loadPipelineFiles,
  prepareModel,
  silentLogger,
  toSinks,
  type Logger,
} from '../src/index.js';

export interface EmbeddedRun {
  readonly batches: number;
  readonly forecasts: number;
  readonly alerts: number;
  readonly deadLetters: number;
}

export async function runEmbedded(file: string, log: Logger = silentLogger(), signal = new AbortController().signal): Promise<EmbeddedRun> {
  const [
    {
      pipelines: [spec],
    },
  ] = await loadPipelineFiles([file]);
  const { engine, outputs } = createEngine(spec);
  // Weights as the daemon gets them: model.path, or a quick fit on the start of the file sources
  // (whose steps are then left unscored, in-sample).
  await prepareModel(spec, engine.runner, fileSources(spec), log, undefined, (steps, streams) => engine.setFitWindow(steps, streams));
  const ctx = { pipeline: spec.name, log, paced: false, data: dataPart(spec) };
  const sinks = spec.sinks.map((s, i) => createSink(s, i, ctx));
  const sources = spec.sources.map((s, i) => createSource(s, i, ctx));
  const run$ = merge(...sources.map((s) => fromSource(s, { signal }))).pipe(
    intake(engine), // the sources' dead letters (unparsable rows)
    features(engine), // order by event time -> resample -> impute -> normalise -> features
    forecast(engine, outputs), // batched model step -> forecasts
    endOfData(engine, outputs), // sources ended: close and forecast every stream's last step
    alertOn(engine.alerting, outputs), // the alert rules over each batch's steps (settled at the end)
    toSinks(sinks), // write and flush the batch's outputs
    commit(), // acknowledge the batch; its source may read the next one
    tap((b) => log.debug({ source: b.source, forecasts: b.outputs.forecasts.length }, 'Batch done.')),
    reduce(
      (n, b) => ({
        batches: n.batches + 1,
        forecasts: n.forecasts + b.outputs.forecasts.length,
        alerts: n.alerts + b.outputs.alerts.length,
        deadLetters: n.deadLetters + b.outputs.deadLetters.length,
      }),
      { batches: 0, forecasts: 0, alerts: 0, deadLetters: 0 },
    ),
  );
  try {
    return await lastValueFrom(run$);
  } finally {
    await Promise.all(sources.map((s) => s.close()));
    await Promise.all(sinks.map((s) => s.close()));
  }
}

if (process.argv[1] !== undefined && import.meta.url.endsWith(process.argv[1].replace(/\\/g, '/'))) {
  const file = process.argv[2];
  if (file === undefined) {
    console.error('usage: npx tsx examples/embed.ts <pipeline.yaml>');
    process.exit(2);
  }
  console.log(await runEmbedded(file));
}
