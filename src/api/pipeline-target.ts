import type { FastifyReply } from 'fastify';

// Routes that act on one pipeline (ingest, silences) pick it by name: `?pipeline=NAME` or, for
// JSON bodies that are one object, a `pipeline` field. Without a name a process with one pipeline
// uses it, and one with several answers 400 naming them rather than guess.

export type PipelineTarget<T> =
  | { readonly ok: true; readonly name: string; readonly value: T }
  | { readonly ok: false; readonly status: 400 | 404; readonly body: { readonly error: string; readonly message: string } };

/**
 * `targets` by pipeline name; `what` names the operation in messages ("HTTP ingest"), `how` says how
 * to name a pipeline for it.
 */
export function selectPipeline<T>(
  targets: ReadonlyMap<string, T>,
  requested: string | undefined,
  what: string,
  how = '?pipeline=NAME',
): PipelineTarget<T> {
  const names = [...targets.keys()];
  const choices = names.map((n) => `"${n}"`).join(', ');
  if (requested !== undefined && requested !== '') {
    const value = targets.get(requested);
    if (value !== undefined) return { ok: true, name: requested, value };
    const message =
      names.length === 0
        ? `Unknown pipeline "${requested}": this daemon has no pipeline for ${what}.`
        : `Unknown pipeline "${requested}" for ${what}; this daemon runs ${choices}.`;
    return { ok: false, status: 404, body: { error: 'not_found', message } };
  }
  if (names.length === 1) return { ok: true, name: names[0], value: targets.get(names[0]) as T };
  if (names.length === 0)
    return { ok: false, status: 404, body: { error: 'not_found', message: `This daemon has no pipeline for ${what}.` } };
  return {
    ok: false,
    status: 400,
    body: { error: 'pipeline_required', message: `This daemon runs several pipelines (${choices}): name the one for ${what} with ${how}.` },
  };
}

/** Sends a failed selection's status and body. */
export function refuse(reply: FastifyReply, target: PipelineTarget<unknown> & { ok: false }): FastifyReply {
  return reply.code(target.status).send(target.body);
}
