import { readFile, rename } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { SerialQueue } from '../core/serial-queue.js';
import { atomicWrite } from '../state/atomic-write.js';
import type { Logger } from '../telemetry/logger.js';
import type { Silence } from './silences.js';

// Silences added over the API, kept in <state.dir>/silences.json so that a restart keeps them.
// Silences from the pipeline file are not saved: the file brings them back itself. Writes are
// atomic and one at a time; the API answers only once the change is on disk.

export const SILENCES_FILE = 'silences.json';

const SavedSilence = z
  .object({
    id: z.string().min(1),
    pattern: z.string().min(1),
    rule: z.string().optional(),
    starts_at: z.number().int(),
    ends_at: z.number().int(),
    comment: z.string(),
  })
  .strict();
const SavedFile = z.object({ version: z.literal(1), silences: z.array(SavedSilence) }).strict();

/** What the alert engine offers (AlertEngine, Silences). */
export interface SilenceHost {
  addSilence(input: unknown): Silence;
  removeSilence(id: string): boolean;
  restoreSilence(saved: Silence): Silence;
  listSilences(now?: number): Silence[];
}

export function silencesPath(stateDir: string): string {
  return join(stateDir, SILENCES_FILE);
}

/**
 * The saved silences still running at `now` (ended ones are dropped). A missing file is none; a file
 * that cannot be read as silences is logged as an error, moved aside to `<path>.corrupt` for a look,
 * and also gives none: a bad file must not keep the pipeline from starting.
 */
export async function readSilenceFile(path: string, now: number, log: Logger): Promise<Silence[]> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    log.error({ err, path }, 'Saved silences could not be read; starting without them.');
    return [];
  }
  let saved: z.infer<typeof SavedFile>;
  try {
    saved = SavedFile.parse(JSON.parse(text));
  } catch (err) {
    const aside = `${path}.corrupt`;
    const moved = await rename(path, aside).then(
      () => true,
      () => false,
    );
    log.error(
      { err, path, movedTo: moved ? aside : undefined },
      'Saved silences file is corrupt; starting without them (the API can add them again).',
    );
    return [];
  }
  return saved.silences
    .filter((s) => s.ends_at > now)
    .map((s) => ({ id: s.id, pattern: s.pattern, rule: s.rule, startsAt: s.starts_at, endsAt: s.ends_at, comment: s.comment }));
}

export function writeSilenceFile(path: string, silences: readonly Silence[]): Promise<void> {
  const file: z.infer<typeof SavedFile> = {
    version: 1,
    silences: silences.map((s) => ({
      id: s.id,
      pattern: s.pattern,
      rule: s.rule,
      starts_at: s.startsAt,
      ends_at: s.endsAt,
      comment: s.comment,
    })),
  };
  return atomicWrite(path, `${JSON.stringify(file, null, 2)}\n`);
}

/**
 * The API's view of one pipeline's silences: changes go to the engine and then to the file. If the
 * file cannot be written the change is undone and the error thrown, so memory and disk agree.
 */
export class PersistedSilences {
  /** Ids of the silences that came over the API (the ones saved). */
  private readonly saved = new Set<string>();
  private readonly writes = new SerialQueue();

  private constructor(
    private readonly host: SilenceHost,
    readonly path: string,
  ) {}

  /** Restores the saved silences still running at `now` into `host`. */
  static async open(host: SilenceHost, path: string, log: Logger, now = Date.now()): Promise<PersistedSilences> {
    const store = new PersistedSilences(host, path);
    const restored = await readSilenceFile(path, now, log);
    for (const s of restored) store.saved.add(host.restoreSilence(s).id);
    if (restored.length > 0) log.info({ silences: restored.length, path }, 'Saved silences restored.');
    return store;
  }

  list(): Silence[] {
    return this.host.listSilences();
  }

  async add(input: unknown): Promise<Silence> {
    const silence = this.host.addSilence(input);
    this.saved.add(silence.id);
    try {
      await this.save();
    } catch (err) {
      this.saved.delete(silence.id);
      this.host.removeSilence(silence.id);
      throw err;
    }
    return silence;
  }

  async remove(id: string): Promise<boolean> {
    const silence = this.host.listSilences().find((s) => s.id === id);
    if (silence === undefined || !this.host.removeSilence(id)) return false;
    if (!this.saved.delete(id)) return true;
    try {
      await this.save();
    } catch (err) {
      this.saved.add(this.host.restoreSilence(silence).id);
      throw err;
    }
    return true;
  }

  /** Writes the API's silences; one write at a time (atomicWrite's temp file is per process). */
  private save(): Promise<void> {
    return this.writes.run(() =>
      writeSilenceFile(
        this.path,
        this.host.listSilences().filter((s) => this.saved.has(s.id)),
      ),
    );
  }
}
