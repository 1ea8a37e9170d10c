/**
 * Emulated requests and their lifecycle: in_queue (queue_ms) → in_progress (run_ms, while the
 * input is fetched and the edit rendered) → completed | failed; or cancelled while queued.
 * Plain timers drive it, so an idle emulator costs no CPU. Ended requests are kept, with their
 * output images, up to a budget of bytes ({@link JobStoreLimits}); past it the oldest ended ones
 * are forgotten, as the real service expires them (a read of one: 404001, unknown or expired), so
 * a long-lived emulator (`kontext emulator` in CI, a library's `startEmulator`) does not grow for
 * ever.
 */
import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import type { AspectRatio } from './model-info.js';
import type { TimerSet } from './timers.js';
import { renderEdit } from './transform.js';

type JobPhase = 'in_queue' | 'in_progress' | 'completed' | 'failed' | 'cancelled';

export interface JobSpec {
  readonly modelId: string;
  readonly prompt: string;
  readonly imageUrl: string;
  readonly seed: number;
  readonly aspectRatio?: AspectRatio | undefined;
  readonly queueMs: number;
  readonly runMs: number;
  /** Never leaves the queue (the `stuck` fault). */
  readonly stuck: boolean;
  /** Ends `failed` with this error instead of rendering (the `remote-failed` fault). */
  readonly failure?: unknown;
}

export interface Job {
  readonly id: string;
  readonly spec: JobSpec;
  readonly createdAt: string;
  phase: JobPhase;
  finishedAt?: string;
  output?: Buffer;
  error?: unknown;
  /** Queue position at submit time; counts down to 1 over the queue time. */
  readonly initialPosition: number;
  readonly queuedAt: number;
  timer?: NodeJS.Timeout;
  readonly abort: AbortController;
}

/** What a test hold keeps: running requests from finishing, or queued ones from starting. */
export type HeldPhase = 'running' | 'queued';

interface Held {
  readonly promise: Promise<void>;
  readonly release: () => void;
}

type Outcome = { ok: true; output: Buffer } | { ok: false; error: unknown };

/** Fetch (or look up) a submit's `image_url`; throws an error with a `code` when it cannot. */
export type InputReader = (url: string, signal: AbortSignal) => Promise<Buffer>;

/** What a {@link JobStore} keeps of ended requests. */
export interface JobStoreLimits {
  /** Output bytes of ended requests kept; default 256 MiB. */
  readonly keptBytes: number;
  /** Ended requests kept, whatever their bytes; default 100,000 (a few hundred bytes each). */
  readonly keptJobs: number;
}

export const DEFAULT_LIMITS: JobStoreLimits = { keptBytes: 256 * 1024 * 1024, keptJobs: 100_000 };

export class JobStore {
  private readonly jobs = new Map<string, Job>();
  /** Ended requests by id, oldest first, with their output bytes. */
  private readonly ended = new Map<string, number>();
  private endedBytes = 0;
  /** Jobs in `in_queue`, kept as a count so a submit does not scan every job ever made. */
  private queued = 0;
  private closed = false;
  /**
   * Set by {@link JobStore.hold}: no running request finishes (`running`), or no queued one
   * starts (`queued`), until it is released.
   */
  private readonly held: Record<HeldPhase, Held | null> = { running: null, queued: null };

  constructor(
    private readonly timers: TimerSet,
    private readonly isoNow: () => string,
    private readonly readInput: InputReader,
    private readonly limits: JobStoreLimits = DEFAULT_LIMITS,
  ) {}

  get(id: string): Job | undefined {
    return this.jobs.get(id);
  }

  create(spec: JobSpec): Job {
    const job: Job = {
      id: randomUUID(),
      spec,
      createdAt: this.isoNow(),
      phase: 'in_queue',
      initialPosition: ++this.queued,
      queuedAt: performance.now(),
      abort: new AbortController(),
    };
    this.jobs.set(job.id, job);
    if (!spec.stuck) job.timer = this.timers.after(spec.queueMs, () => void this.startWhenFree(job));
    return job;
  }

  /** 1-based; decreases linearly over the queue time and never reaches 0 while queued. */
  queuePosition(job: Job): number {
    if (job.spec.stuck || job.spec.queueMs === 0) return job.initialPosition;
    const remaining = Math.max(0, job.spec.queueMs - (performance.now() - job.queuedAt));
    return Math.max(1, Math.ceil((job.initialPosition * remaining) / job.spec.queueMs));
  }

  /** Only queued requests can be cancelled, as on the real service. */
  cancel(job: Job): 'cancelled' | 'not_cancellable' {
    if (job.phase === 'cancelled') return 'cancelled';
    if (job.phase !== 'in_queue') return 'not_cancellable';
    this.timers.cancel(job.timer);
    this.queued--;
    job.phase = 'cancelled';
    job.finishedAt = this.isoNow();
    this.noteEnded(job);
    return 'cancelled';
  }

  /** `job` ended: kept within {@link JobStoreLimits}, the oldest ended ones forgotten past them. */
  private noteEnded(job: Job): void {
    const bytes = job.output?.length ?? 0;
    this.ended.set(job.id, bytes);
    this.endedBytes += bytes;
    for (const [id, size] of this.ended) {
      if (this.endedBytes <= this.limits.keptBytes && this.ended.size <= this.limits.keptJobs) break;
      if (id === job.id) break; // the newest is always kept
      this.ended.delete(id);
      this.endedBytes -= size;
      this.jobs.delete(id);
    }
  }

  /** Start `job` once no hold keeps the queue (a cancel meanwhile is seen by `start`). */
  private async startWhenFree(job: Job): Promise<void> {
    for (let h = this.held.queued; h !== null; h = this.held.queued) await h.promise;
    this.start(job);
  }

  private start(job: Job): void {
    if (this.closed || job.phase !== 'in_queue') return;
    this.queued--;
    job.phase = 'in_progress';
    const work =
      job.spec.failure !== undefined
        ? Promise.resolve<Outcome>({ ok: false, error: job.spec.failure })
        : this.produce(job);
    void Promise.all([work, this.timers.sleep(job.spec.runMs)]).then(async ([outcome]) => {
      for (let h = this.held.running; h !== null; h = this.held.running) await h.promise;
      this.finish(job, outcome);
    });
  }

  /**
   * Keep every running request running (`in_progress`), its run time over or not, or with
   * `queued` every queued request queued (`in_queue`, so it can still be cancelled), until the
   * returned function is called: a test's window as wide as it needs, with no time to guess.
   * Holds of a phase taken together share one release; `close()` releases them.
   */
  hold(phase: HeldPhase = 'running'): () => void {
    let held = this.held[phase];
    if (held === null) {
      let release = (): void => undefined;
      const promise = new Promise<void>((resolve) => {
        release = resolve;
      });
      held = { promise, release };
      this.held[phase] = held;
    }
    const mine = held;
    return () => {
      if (this.held[phase] !== mine) return;
      this.held[phase] = null;
      mine.release();
    };
  }

  private async produce(job: Job): Promise<Outcome> {
    try {
      const image = await this.readInput(job.spec.imageUrl, job.abort.signal);
      const { prompt, seed, aspectRatio } = job.spec;
      return { ok: true, output: await renderEdit({ image, prompt, seed, aspectRatio }) };
    } catch (e) {
      const code = typeof e === 'object' && e !== null && 'code' in e ? String(e.code) : 'internal_error';
      return { ok: false, error: { code, message: e instanceof Error ? e.message : String(e) } };
    }
  }

  private finish(job: Job, outcome: Outcome): void {
    if (this.closed) return;
    job.finishedAt = this.isoNow();
    if (outcome.ok) {
      job.phase = 'completed';
      job.output = outcome.output;
    } else {
      job.phase = 'failed';
      job.error = outcome.error;
    }
    this.noteEnded(job);
  }

  /** Abort every input fetch; pending timers are cleared by the owner's TimerSet. */
  close(): void {
    this.closed = true;
    for (const phase of ['running', 'queued'] as const) {
      this.held[phase]?.release();
      this.held[phase] = null;
    }
    for (const job of this.jobs.values()) job.abort.abort();
    this.jobs.clear();
    this.ended.clear();
    this.endedBytes = 0;
  }
}
