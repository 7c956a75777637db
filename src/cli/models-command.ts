import type { Command } from 'commander';
import { registryDir } from '../retraining/attach.js';
import { ModelRegistry, type ModelVersionMeta } from '../retraining/model-registry.js';
import type { CliHelpers } from './main.js';

// `tidecast models list | promote <v> | rollback`: the pipeline's model registry on disk (the next
// start loads the live version), or, with --url, a running daemon (the swap happens live).

interface ModelsOpts {
  pipeline?: string;
  url?: string;
}

export function modelsCommand(program: Command, h: CliHelpers): void {
  const models = program.command('models').description('Model versions kept by background retraining: list, promote, roll back.');
  const common = (c: Command): Command =>
    c
      .argument('<pipeline-file>', 'pipeline file')
      .option('--pipeline <name>', 'which pipeline of a multi-pipeline file')
      .option('--url <url>', "a running daemon's API (e.g. http://127.0.0.1:8080) instead of the files on disk");

  common(models.command('list').description('Every version with its metadata; * marks the live one.')).action(
    async (file: string, o: ModelsOpts) => {
      const spec = h.pickPipeline(await h.loadOrExit([file]), o.pipeline);
      if (o.url !== undefined) {
        const body = (await call(o.url, 'GET', '/api/models')) as {
          pipelines: { pipeline: string; live: string | null; versions: ModelVersionMeta[] }[];
        };
        const p = body.pipelines.find((x) => x.pipeline === spec.name);
        printVersions(p?.versions ?? [], p?.live ?? null);
        return;
      }
      const reg = await ModelRegistry.openExisting(registryDir(spec));
      printVersions(reg.list(), reg.live());
    },
  );

  common(models.command('promote').description('Make a version live.'))
    .argument('<version>', 'version, as `models list` shows it')
    .action(async (file: string, v: string, opts: ModelsOpts) => {
      const spec = h.pickPipeline(await h.loadOrExit([file]), opts.pipeline);
      if (opts.url !== undefined)
        await call(opts.url, 'POST', `/api/models/${encodeURIComponent(spec.name)}/promote/${encodeURIComponent(v)}`);
      else await (await ModelRegistry.openExisting(registryDir(spec))).promote(v);
      process.stdout.write(`${spec.name}: ${v} is live\n`);
    });

  common(models.command('rollback').description('Make the previously promoted version live again.')).action(
    async (file: string, o: ModelsOpts) => {
      const spec = h.pickPipeline(await h.loadOrExit([file]), o.pipeline);
      const live =
        o.url !== undefined
          ? ((await call(o.url, 'POST', `/api/models/${encodeURIComponent(spec.name)}/rollback`)) as { live: string }).live
          : await (await ModelRegistry.openExisting(registryDir(spec))).rollback();
      process.stdout.write(`${spec.name}: rolled back to ${live}\n`);
    },
  );
}

function printVersions(versions: readonly ModelVersionMeta[], live: string | null): void {
  const fmt = (x: number | null): string => (x === null ? '-' : x.toPrecision(4));
  process.stdout.write('  version                 parent                  created                   val_loss   champion   data\n');
  for (const v of versions) {
    const range =
      v.dataRange === null
        ? '-'
        : `${new Date(v.dataRange.from).toISOString()}..${new Date(v.dataRange.to).toISOString()} (${v.dataRange.streams} streams)`;
    process.stdout.write(
      `${v.version === live ? '*' : ' '} ${v.version.padEnd(23)} ${(v.parent ?? '-').padEnd(23)} ${v.createdAt.padEnd(25)} ${fmt(v.validationLoss).padEnd(10)} ${fmt(v.championLoss).padEnd(10)} ${range}\n`,
    );
    process.stdout.write(`    ${v.reason}\n`);
  }
}

async function call(url: string, method: string, path: string): Promise<unknown> {
  const res = await fetch(new URL(path, url), { method });
  const body = (await res.json()) as { message?: string };
  if (!res.ok) {
    process.stderr.write(`${method} ${path}: ${res.status} ${body.message ?? ''}\n`);
    process.exit(1);
  }
  return body;
}
