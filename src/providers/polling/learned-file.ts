/**
 * Learned completion times survive the run: one small JSON file per provider and model in the
 * cache dir (`poll-times/`), so the first request of a new run is already aimed. A missing,
 * unreadable or foreign file just means "nothing learned yet"; saving is best effort (a temp file
 * renamed into place) and never fails a run.
 */
import { createHash } from 'node:crypto';
import { open, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { mkdirp } from '../../util/mkdir-p.js';
import { uniqueSuffix } from '../../util/unique-suffix.js';
import { CompletionTimes, WINDOW } from './completion-times.js';

/** A file bigger than this is not ours. */
const MAX_FILE_BYTES = 16 * 1024;
/** Longer than a day is no completion time of an image edit: a corrupt or hostile sample. */
const MAX_SAMPLE_MS = 24 * 3600 * 1000;

/** Where the times of `provider` + `model` live under `dir`. */
function learnedFilePath(dir: string, provider: string, model: string): string {
  const safe = provider.replace(/[^a-z0-9-]/gi, '_').slice(0, 32);
  const hash = createHash('sha256').update(`${provider}\0${model}`).digest('hex').slice(0, 16);
  return join(dir, `${safe}-${hash}.json`);
}

/** The saved times, or none when there is no usable file. */
async function loadCompletionTimes(file: string): Promise<CompletionTimes> {
  try {
    const handle = await open(file, 'r');
    try {
      const info = await handle.stat();
      if (!info.isFile() || info.size > MAX_FILE_BYTES) return new CompletionTimes();
      const data: unknown = JSON.parse(await handle.readFile('utf8'));
      return new CompletionTimes(samplesIn(data));
    } finally {
      await handle.close();
    }
  } catch {
    return new CompletionTimes();
  }
}

function samplesIn(data: unknown): number[] {
  if (data === null || typeof data !== 'object') return [];
  const samples = (data as Record<string, unknown>)['samples'];
  if (!Array.isArray(samples)) return [];
  return samples
    .filter((v): v is number => typeof v === 'number' && Number.isFinite(v) && v >= 0 && v <= MAX_SAMPLE_MS)
    .slice(-WINDOW);
}

/** Save the times (best effort: an error is swallowed, the run goes on). */
async function saveCompletionTimes(file: string, times: CompletionTimes): Promise<void> {
  const samples = times.snapshot();
  if (samples.length === 0) return;
  const dir = join(file, '..');
  const tmp = `${file}.${uniqueSuffix()}.tmp`;
  try {
    await mkdirp(dir);
    await writeFile(tmp, `${JSON.stringify({ version: 1, samples: samples.map(Math.round) })}\n`, { flag: 'wx' });
    await rename(tmp, file);
  } catch {
    await rm(tmp, { force: true }).catch(() => undefined);
  }
}

/**
 * One client's learned times, per model (a Kontext [max] job is not a [pro] job): loaded from
 * `dir` on the model's first submit, remembered per request id (a wait knows only the id; a
 * re-attached request of an unknown model uses the client-wide times), saved by {@link save}.
 */
export class LearnedTimesBook {
  readonly #loading = new Map<string, Promise<CompletionTimes>>();
  readonly #loaded = new Map<string, CompletionTimes>();
  readonly #models = new Map<string, string>();
  readonly #fallback: CompletionTimes;

  constructor(
    readonly provider: string,
    readonly dir: string | undefined,
    fallback: CompletionTimes = new CompletionTimes(),
  ) {
    this.#fallback = fallback;
  }

  /** The times of `model`, loaded once. */
  forModel(model: string): Promise<CompletionTimes> {
    let p = this.#loading.get(model);
    if (!p) {
      const file = this.dir === undefined ? undefined : learnedFilePath(this.dir, this.provider, model);
      p = (file ? loadCompletionTimes(file) : Promise.resolve(new CompletionTimes())).then((t) => {
        this.#loaded.set(model, t);
        return t;
      });
      this.#loading.set(model, p);
    }
    return p;
  }

  /** Request `requestId` is for `model`. */
  note(requestId: string, model: string): void {
    this.#models.set(requestId, model);
  }

  /** The times a wait for `requestId` aims with. */
  forRequest(requestId: string): CompletionTimes {
    const model = this.#models.get(requestId);
    return (model === undefined ? undefined : this.#loaded.get(model)) ?? this.#fallback;
  }

  /** Save every model's times (best effort). */
  async save(): Promise<void> {
    const dir = this.dir;
    if (dir === undefined) return;
    await Promise.all(
      [...this.#loaded].map(([model, t]) => saveCompletionTimes(learnedFilePath(dir, this.provider, model), t)),
    );
  }
}
