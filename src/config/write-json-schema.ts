import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { pipelineJsonSchema } from './json-schema.js';

// `npm run schema`: writes the pipeline-file JSON Schema for editors (yaml-language-server reads
// the `# yaml-language-server: $schema=...` line at the top of each pipeline file).

const out = resolve(process.argv[2] ?? 'schema/pipeline.schema.json');
await mkdir(dirname(out), { recursive: true });
await writeFile(out, `${JSON.stringify(pipelineJsonSchema(), null, 2)}\n`);
process.stdout.write(`${out}\n`);
