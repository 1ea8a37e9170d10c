/**
 * Emulated requests and their lifecycle: in_queue (queue_ms) → in_progress (run_ms, while the
 * input is fetched and the edit rendered) → completed | failed; or cancelled while queued.
 * Plain timers drive it, so an idle emulator costs no CPU.
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

type Outcome = { ok: true; output: Buffer } | { ok: false; error: unknown };

/** Fetch (or look up) a submit's `image_url`; throws an error with a `code` when it cannot. */
export type InputReader = (url: string, signal: AbortSignal) => Promise<Buffer>;

export class JobStore {
  private readonly jobs = new Map<string, Job>();
  /** Jobs in `in_queue`, kept as a count so a submit does not scan every job ever made. */
  private queued = 0;
  private closed = false;
  /** Set by {@link JobStore.hold}: no running request finishes until it is released. */
  private held: { readonly promise: Promise<void>; readonly release: () => void } | null = null;

  constructor(
    private readonly timers: TimerSet,
    private readonly isoNow: () => string,
    private readonly readInput: InputReader,
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
    if (!spec.stuck) job.timer = this.timers.after(spec.queueMs, () => this.start(job));
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
    return 'cancelled';
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
      while (this.held !== null) await this.held.promise;
      this.finish(job, outcome);
    });
  }

  /**
   * Keep every running request running (`in_progress`), its run time over or not, until the
   * returned function is called: a test's window as wide as it needs, with no run time to guess.
   * Holds taken together share one release; `close()` releases them.
   */
  hold(): () => void {
    if (this.held === null) {
      let release = (): void => undefined;
      const promise = new Promise<void>((resolve) => {
        release = resolve;
      });
      this.held = { promise, release };
    }
    const held = this.held;
    return () => {
      if (this.held !== held) return;
      this.held = null;
      held.release();
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
  }

  /** Abort every input fetch; pending timers are cleared by the owner's TimerSet. */
  close(): void {
    this.closed = true;
    this.held?.release();
    this.held = null;
    for (const job of this.jobs.values()) job.abort.abort();
  }
}
