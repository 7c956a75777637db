import { startTestPipeline, type TestPipelineOptions } from './kafka-pipeline.js';

// One consumer-group instance of the test pipeline as its own process, so that a test can SIGKILL it.
// argv[2]: TestPipelineOptions as JSON (without callbacks). Reports on stdout, one JSON object a line:
//   {"type":"assigned","partitions":[..],"restored":n}  {"type":"progress","processed":n}  {"type":"stopped"}
// SIGTERM stops it cleanly (drain, commit, leave the group).

const say = (o: object) => process.stdout.write(`${JSON.stringify(o)}\n`);
const options = JSON.parse(process.argv[2] ?? '{}') as TestPipelineOptions;
const log = {
  debug() {},
  info(o: object, msg: string) {
    process.stderr.write(`${JSON.stringify({ level: 'info', msg, ...o })}\n`);
  },
  warn(o: object, msg: string) {
    process.stderr.write(`${JSON.stringify({ level: 'warn', msg, ...o })}\n`);
  },
  error(o: object, msg: string) {
    process.stderr.write(`${JSON.stringify({ level: 'error', msg, ...o })}\n`);
  },
};

let lastReport = 0;
const pipeline = await startTestPipeline({
  ...options,
  log,
  onAssigned: (tps, restored) => say({ type: 'assigned', partitions: tps.flatMap((tp) => tp.partitions), restored }),
  onBatch: (processed) => {
    if (processed - lastReport >= 50) {
      lastReport = processed;
      say({ type: 'progress', processed });
    }
  },
});
say({ type: 'started', pid: process.pid });
process.on('SIGTERM', () => {
  void pipeline.stop().then(() => {
    say({ type: 'stopped', processed: pipeline.processed() });
    process.exit(0);
  });
});
