import type { ModelsApi } from '../retraining/models-api.js';

// POST /api/models/:pipeline/promote/:version: a version that lost to the champion when it was
// trained (registry meta promoted: false) goes live only with an explicit force, `?force=true` or
// a JSON body `{"force": true}`; otherwise 409 with the reason it was not promoted.

export interface PromoteRefusal {
  readonly status: 409;
  readonly body: { readonly error: 'rejected_model'; readonly message: string; readonly reason: string };
}

/** Whether the request says force: `?force=true|1` or a JSON body with `"force": true`. */
export function forceRequested(query: unknown, body: unknown): boolean {
  const q = (query as { force?: unknown } | undefined)?.force;
  if (q === 'true' || q === '1' || q === '') return true;
  if (typeof body !== 'string' || body.trim() === '') return false;
  try {
    const parsed: unknown = JSON.parse(body);
    return typeof parsed === 'object' && parsed !== null && (parsed as { force?: unknown }).force === true;
  } catch {
    return false;
  }
}

/** The refusal for a rejected version without force; undefined when the promotion may go ahead. */
export function promoteRefusal(api: ModelsApi, pipeline: string, version: string, force: boolean): PromoteRefusal | undefined {
  if (force) return undefined;
  const meta = api
    .list()
    .find((p) => p.pipeline === pipeline)
    ?.versions.find((v) => v.version === version);
  if (meta === undefined || meta.promoted) return undefined; // unknown versions get the registry's own error
  return {
    status: 409,
    body: {
      error: 'rejected_model',
      message: `Version ${version} of ${pipeline} was rejected when trained (${meta.reason}); promote it anyway with ?force=true or {"force": true}.`,
      reason: meta.reason,
    },
  };
}
