// One size of bench:scale in its own process (so RSS is this daemon's alone): `run` starts the
// daemon on the generated pipeline file, waits for the file source to end, measures RSS, a full
// checkpoint, an incremental one after 1% of the streams got a record over HTTP ingest's path, and
// stops; `restore` times a fresh runtime restoring that checkpoint. Prints one JSON line.
import { loadPipelineFiles } from '../src/config/load-pipeline.js';
import type { PipelineSpec } from '../src/config/pipeline-schema.js';
import type { Observation } from '../src/core/types.js';
import { startDaemon } from '../src/runtime/daemon.js';
import { PipelineRuntime } from '../src/runtime/pipeline-runtime.js';
import { createLogger } from '../src/telemetry/logger.js';
import { createMetrics } from '../src/telemetry/metrics.js';

const [mode, file, streamsArg, stepsArg, t0Arg, stepArg] = process.argv.slice(2);
const streams = Number(streamsArg);
const steps = Number(stepsArg);
const T0 = Number(t0Arg);
const STEP = Number(stepArg);
const log = createLogger({ level: 'silent' });
const gc = (globalThis as { gc?: () => void }).gc;

/** User + system CPU ms since `from`. */
function cpuMs(from: NodeJS.CpuUsage): number {
  const d = process.cpuUsage(from);
  return (d.user + d.system) / 1000;
}

async function settle(): Promise<void> {
  for (let i = 0; i < 3; i++) {
    gc?.();
    await new Promise((res) => setTimeout(res, 100));
  }
}

async function run(): Promise<Record<string, number>> {
  const files = await loadPipelineFiles([file]);
  await settle();
  const rssBefore = process.memoryUsage().rss;
  const daemon = await startDaemon({ files, log, metrics: createMetrics(), port: 0 });
  const started = performance.now();
  const cpuStart = process.cpuUsage();
  const rt = daemon.runtimes[0];
  const rows = streams * steps;
  // The source has ended once every row was read and every stream holds its slot.
  while (rt.engine.stats.observations < rows) await new Promise((res) => setTimeout(res, 20));
  const ingestMs = performance.now() - started;
  const ingestCpuMs = cpuMs(cpuStart);
  await new Promise((res) => setTimeout(res, 300));
  await settle();
  const mem = process.memoryUsage();
  const cpu0 = process.cpuUsage();
  await rt.checkpoint();
  const fullCpuMs = cpuMs(cpu0);
  const full = rt.checkpoints.last;
  if (full?.kind !== 'base') throw new Error(`expected a full checkpoint, got ${full?.kind}`);
  const evictedStreams = rt.checkpoints.evicted;
  const residentAfter = rt.engine.runner.arena.size;
  const spillBytes = rt.engine.eviction?.bytes ?? 0;
  // 1% of the streams get one more record (the HTTP ingest path), then an incremental checkpoint.
  const changed: Observation[] = [];
  for (let s = 0; s < streams; s += 100) changed.push({ key: `scale/s${s}`, eventTime: T0 + steps * STEP, fields: { value: 21 } });
  await rt.ingestExternal(changed, []);
  const cpu1 = process.cpuUsage();
  await rt.checkpoint();
  const incrementalCpuMs = cpuMs(cpu1);
  const incr = rt.checkpoints.last;
  if (incr?.kind !== 'delta') throw new Error(`expected an incremental checkpoint, got ${incr?.kind}`);
  const held = rt.engine.streamCount;
  await daemon.stop('bench');
  return {
    streams: held,
    rows,
    rssBytes: mem.rss,
    rssBeforeBytes: rssBefore,
    heapUsedBytes: mem.heapUsed,
    arrayBuffersBytes: mem.arrayBuffers,
    eventsPerSec: rows / (ingestMs / 1000),
    checkpointBytes: full.bytes,
    checkpointMs: full.ms,
    checkpointCaptureMs: full.captureMs,
    checkpointCpuMs: fullCpuMs,
    incrementalCpuMs,
    ingestCpuMs,
    incrementalBytes: incr.bytes,
    incrementalStreams: incr.streams,
    incrementalCheckpointMs: incr.ms,
    evictedStreams,
    residentAfter,
    spillBytes,
    processorBytesPerStream: rt.engine.processor.bytesPerStream,
    recurrentBytesPerStream: rt.engine.runner.arena.stateSize * 4,
    readoutBytesPerStream: 8 * (rt.engine.readouts?.exportSlot(0).length ?? 0),
    alertBytesPerStream: 8 * (rt.engine.alerts.exportStreamValues('scale/s0')?.values.length ?? 0),
  };
}

async function restore(): Promise<Record<string, number>> {
  const spec = (await loadPipelineFiles([file]))[0].pipelines[0] as PipelineSpec;
  const rt = new PipelineRuntime(spec, { log, paced: false });
  const t = performance.now();
  const cpu = process.cpuUsage();
  if (!(await rt.restore())) throw new Error('no checkpoint to restore');
  return {
    restoreMs: performance.now() - t,
    restoreCpuMs: cpuMs(cpu),
    restoredStreams: rt.engine.streamCount,
    restoredResident: rt.engine.runner.arena.size,
  };
}

const out = mode === 'restore' ? await restore() : await run();
process.stdout.write(`${JSON.stringify(out)}\n`);
process.exit(0);
