/**
 * The watch server (`kontext run --watch --serve`): the review page of one recipe over
 * `node:http` on 127.0.0.1, kept current from the watch session's run events
 * (docs/architecture.md#the-review-report). It listens at once and builds in the background
 * (a page asked for before the first data is in says it is being built, and gets the data by
 * its event stream). Each change rebuilds the report from local state (coalesced: one rebuild
 * at a time, the last change always included), writes it to `<out>/report/` as `kontext report`
 * would, and pushes the new data to every open page as a Server-Sent Event (`sse.ts`): once the
 * states are known, then again with the images and reviews they lacked. Between rebuilds the
 * run's node events are laid over the last data (`overlay.ts`) and pushed at most every
 * {@link PUSH_MS}. Serves only the files that data names; never contacts a provider.
 */
import { randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { resolve } from 'node:path';
import { ExitCode, isKontextError, problemLines } from '../../errors.js';
import type { RunEvent } from '../../run/events.js';
import { cacheDirFor } from '../../run/context.js';
import { openStoreOrStandIn, type OpenedStore } from '../../run/open-cache.js';
import { RemotePeek } from '../../run/remote-peek.js';
import { loadRecipe } from '../../recipe/index.js';
import type { Runtime } from '../../runtime.js';
import { deferred } from '../../util/deferred.js';
import { renderPage } from '../html.js';
import type { ReportData } from '../types.js';
import { writeReportFor } from '../write.js';
import { requestedFile, sendFile, servableFiles } from './files.js';
import { fromOtherSite, hostAllowed, hostsFor } from './guard.js';
import { BuildFailures } from './build-failure.js';
import { listen } from './listen.js';
import { LiveState } from './live.js';
import { type Base, overlay } from './overlay.js';
import { answerPick, type PickServer } from './pick-answer.js';
import { noPlan, recipeSha256 } from './recipe-state.js';
import { EventStreams } from './sse.js';
import { end } from './reply.js';

/**
 * A client sending its headers (or a pick's body) a byte at a time is answered 408 and cut off
 * within about 11 s (Node's defaults: 60 s for the headers and 300 s for the request, checked
 * every 30 s, so up to 90 s per connection); an open event stream is not a request being sent.
 */
const LIMITS = { headersTimeout: 10_000, requestTimeout: 20_000, connectionsCheckingInterval: 1_000 };
/** Open connections at once (each page holds one for its events, a browser ~6 for images); more are dropped. */
const MAX_CONNECTIONS = 256;
/** The least time between two pushes of the node states laid over the last data (a rebuild's push is not held). */
const PUSH_MS = 250;

export interface ReportServerOptions {
  /** A port to listen on; without it `DEFAULT_REPORT_PORT` (listen.ts), else any free one. */
  readonly port?: number | undefined;
  readonly cacheDir?: string | undefined;
  readonly allowOutsideRoot?: boolean | undefined;
  /** `--no-remote`: local state only; otherwise what only the remote cache holds is shown "in the remote cache". */
  readonly noRemote?: boolean | undefined;
  /**
   * Write `pick: <variant>` for a node's pass into the recipe (`writePick`), or with `clear` take
   * it out (`clearPick`), only if the recipe's bytes still have `expectSha256` (the page's);
   * absent: the page has no pick button.
   */
  readonly pick?:
    | ((recipePath: string, nodeId: string, expectSha256: string, clear: boolean) => Promise<unknown>)
    | undefined;
  /** A build failed for a bug in the report code: told once (`build-failure.ts`), as the page says it. */
  readonly onWarning?: ((message: string) => void) | undefined;
  /** The watch's Ctrl-C: a build under way is abandoned at once (its wait for another report's mutex too). */
  readonly signal?: AbortSignal | undefined;
  /** Milliseconds between the pings each open page is sent (`sse.ts`'s `PING_MS`, 5 s, by default; tests take less). */
  readonly pingMs?: number | undefined;
}

export interface ReportServer {
  /** `http://127.0.0.1:<port>/report/` */
  readonly url: string;
  /**
   * The first build is over: the page has its data, or says why it has none (a recipe that cannot
   * be used yet, a page that cannot be written, a bug in the report code). Never rejects.
   */
  readonly ready: Promise<void>;
  /** Feed every run event of the recipe's watch session. */
  onEvent(event: RunEvent): void;
  /** Rebuild now (and wait for it; never rejects: a failure is on the page). */
  refresh(): Promise<void>;
  close(): Promise<void>;
}

export async function startReportServer(
  recipePath: string,
  options: ReportServerOptions,
  deps: { readonly rt: Runtime },
): Promise<ReportServer> {
  const state = new ServerState(recipePath, options, deps.rt);
  // Loaded here, not with the module: every command imports the API that exports this file.
  const { createServer } = await import('node:http');
  const server = createServer(LIMITS, (req, res) => {
    state.handle(req, res).catch(() => {
      if (!res.headersSent) res.writeHead(500);
      res.end();
    });
  });
  server.maxConnections = MAX_CONNECTIONS;
  // The port first: one that is taken fails before anything is built or written.
  const port = await listen(server, options.port);
  state.hosts = hostsFor(port);
  // Not waited for: a first build of hundreds of sources takes seconds (their previews), and
  // held up the watch run it shows (a page asked for meanwhile says it is being built).
  void state.rebuild();
  return {
    url: `http://127.0.0.1:${port}/report/`,
    ready: state.ready,
    onEvent: (e) => state.onEvent(e),
    refresh: () => state.rebuild(),
    close: async () => {
      state.closeClients();
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      // What a page is still sending or loading is cut off, not waited for: once closed, the
      // server times no request out, so a request left half-sent would keep the process alive.
      server.closeAllConnections();
      await closed;
      await state.close();
    },
  };
}

/** The recipe did not load (`cause`): its problems, not the page's. */
class Unusable {
  constructor(readonly cause: unknown) {}
}

class ServerState {
  readonly #live = new LiveState();
  readonly #token = randomBytes(24).toString('hex');
  /** Public, unlike the token: tells a page left open across a restart of the watch process that it is stale. */
  readonly #session = randomBytes(8).toString('hex');
  readonly #streams: EventStreams;
  #opened: OpenedStore | null = null;
  readonly #remote: RemotePeek;
  /** The data last read from disk (with the recipe's problems, if any); null before the first. */
  #base: Base | null = null;
  /** What was pushed last: `#base` with the live run's states laid over it. */
  #data: ReportData | null = null;
  /** The last data built from a usable recipe (what an invalid recipe's page keeps showing). */
  #good: Base | null = null;
  readonly #first = deferred<void>();
  #pushed = 0;
  #timer: ReturnType<typeof setTimeout> | null = null;
  #closed = false;
  #outDir = '';
  /** The project root every file served must really lie in (null with `allowOutsideRoot`). */
  #root: string | null = null;
  #allowed: ReadonlySet<string> = new Set();
  #running: Promise<void> | null = null;
  #again = false;
  /** Aborted by `close()` and by the caller's signal: the build under way is abandoned. */
  readonly #abort = new AbortController();
  readonly #failures: BuildFailures;
  hosts: ReadonlySet<string> = new Set();

  constructor(
    private readonly path: string,
    private readonly options: ReportServerOptions,
    private readonly rt: Runtime,
  ) {
    // The page never waits for the remote: built at once, and again when its answers are in.
    this.#remote = new RemotePeek(rt, options.noRemote ?? false, () => void this.rebuild());
    this.#failures = new BuildFailures(options.onWarning);
    this.#streams = new EventStreams(this.#session, options.pingMs);
    const signal = options.signal;
    if (signal?.aborted) this.#abort.abort(signal.reason);
    else signal?.addEventListener('abort', () => this.#abort.abort(signal.reason), { once: true });
  }

  get ready(): Promise<void> {
    return this.#first.promise;
  }

  /** Never throws: it is called with every run event, and a page's bug must not become the run's. */
  onEvent(e: RunEvent): void {
    try {
      if (!this.#live.apply(e)) return;
      this.#pushSoon();
    } catch (err) {
      this.#failed(err);
    }
    void this.rebuild();
  }

  /** The live states pushed over the last data within {@link PUSH_MS}, not after the next rebuild. */
  #pushSoon(): void {
    if (this.#timer !== null || this.#base === null || this.#closed) return;
    const wait = Math.max(0, this.#pushed + PUSH_MS - this.rt.now());
    this.#timer = setTimeout(() => {
      this.#timer = null;
      // Thrown in a timer, an error would end the process, and the run in it.
      try {
        this.#push();
      } catch (e) {
        this.#failed(e);
      }
    }, wait);
    this.#timer.unref();
  }

  /**
   * One rebuild at a time; a request meanwhile runs once more after it (with every change so far).
   * Never rejects: a build that fails leaves the page saying why, and the next one tries again.
   */
  rebuild(): Promise<void> {
    if (this.#closed) return Promise.resolve();
    if (this.#running) {
      this.#again = true;
      return this.#running;
    }
    this.#running = (async () => {
      do {
        this.#again = false;
        try {
          await this.#build();
          this.#failures.built();
        } catch (e) {
          this.#failed(e);
        }
        this.#first.resolve();
      } while (this.#again && !this.#closed);
    })().finally(() => {
      this.#running = null;
    });
    return this.#running;
  }

  /** A build (or a push) failed: the page says why, unless the build was abandoned (Ctrl-C, closing). */
  #failed(e: unknown): void {
    if (this.#abort.signal.aborted || this.#closed) return;
    try {
      this.#keepLast(e);
    } catch {
      // The page cannot even show it (a bug in the push itself): the terminal has been told.
    }
  }

  async #build(): Promise<void> {
    // The events so far: what they say is on disk by now, so this build shows it (`overlay`).
    const seq = this.#live.seq;
    const allowOutsideRoot = this.options.allowOutsideRoot ?? false;
    // Read before the recipe is loaded: if it changes in between, the page holds the older sha
    // and a pick from it is refused, never applied to bytes the page did not show.
    const sha256 = await recipeSha256(resolve(this.rt.cwd, this.path));
    const recipe = await loadRecipe(this.path, { rt: this.rt, strict: false, allowOutsideRoot }).catch((e: unknown) => {
      throw new Unusable(e);
    });
    this.#opened ??= await openStoreOrStandIn(cacheDirFor(recipe, this.options.cacheDir, this.rt));
    // What only the remote cache holds shows as in `kontext report`: "in the remote cache".
    const shown = (built: ReportData): ReportData =>
      sha256 === null ? built : { ...built, recipe: { ...built.recipe, sha256 } };
    const show = (data: ReportData): void => {
      const problems = this.#live.problems;
      this.#good = { data, seq };
      this.#root = allowOutsideRoot ? null : recipe.projectRoot;
      this.#live.dropDone(seq);
      const stopped = this.#live.stopped;
      const said = problems.length === 0 ? data : { ...data, errors: problems };
      this.#show({ data: stopped.length === 0 ? said : { ...said, stopped }, seq }, recipe.outDir);
    };
    // The states first, then again with the images and reviews they lacked: a finished node is
    // not held back by the thumbnails and change maps of every other node finished meanwhile.
    const onEarly = (built: ReportData): void => show(shown(built));
    const written = await this.#remote.through(this.#opened.store, recipe, (store, inRemote) =>
      writeReportFor(recipe, {
        store,
        rt: this.rt,
        allowOutsideRoot,
        live: this.#live,
        inRemote,
        onEarly,
        // One image at a time while a run goes on: it needs libuv's threads for its files.
        imagesAtOnce: () => (this.#live.runGoing ? 1 : 4),
        signal: this.#abort.signal,
      }),
    );
    show(shown(written.data));
  }

  /**
   * The recipe is mid-edit (invalid) or the page cannot be built: the page keeps the last good
   * data, with why. The recipe's own problems (the watch session's, else this load's, with
   * positions) are `errors`, and only they refuse a pick; a page that cannot be written (exit 73)
   * or a bug in the report code (told once, `BuildFailures`) is `buildErrors`, whatever else is.
   */
  #keepLast(e: unknown): void {
    const problems = this.#live.problems;
    const cause = e instanceof Unusable ? e.cause : e;
    const own = isKontextError(cause) ? problemLines(cause) : [this.#failures.failed(cause)];
    const loadFailed = e instanceof Unusable && isKontextError(cause);
    if (isKontextError(cause) && cause.exitCode === ExitCode.CANT_CREAT) this.#failures.unwritable(own);
    const errors = problems.length > 0 || !loadFailed ? problems : own;
    const buildErrors = loadFailed ? [] : own;
    // No good data yet: a recipe that cannot be used from the start (mid-edit, a source not
    // there yet) is served as `run --watch` goes on watching it: a page with no plan and why.
    const good = this.#good ?? { data: noPlan(this.path, this.rt), seq: 0 };
    const data = {
      ...good.data,
      ...(errors.length > 0 && { errors }),
      ...(buildErrors.length > 0 && { buildErrors }),
    };
    this.#show({ data, seq: good.seq }, this.#outDir);
  }

  #show(base: Base, outDir: string): void {
    this.#base = base;
    this.#outDir = outDir;
    this.#push();
  }

  #push(): void {
    if (this.#base === null || this.#closed) return;
    if (this.#timer !== null) clearTimeout(this.#timer);
    this.#timer = null;
    const data = overlay(this.#base, this.#live, { cwd: this.rt.cwd, outDir: this.#outDir });
    this.#data = data;
    this.#allowed = servableFiles(data);
    this.#streams.publish(data);
    this.#pushed = this.rt.now();
  }

  async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    res.setHeader('x-frame-options', 'DENY');
    res.setHeader('referrer-policy', 'no-referrer');
    // Browsers that do not send Sec-Fetch-* still keep another site's page from embedding these.
    res.setHeader('cross-origin-resource-policy', 'same-origin');
    if (!hostAllowed(req, this.hosts)) return end(res, 421, 'wrong host');
    if (fromOtherSite(req, this.hosts)) return end(res, 403, 'forbidden: a request from another site');
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const method = req.method ?? 'GET';
    if (method === 'POST' && url.pathname === '/api/pick') return answerPick(req, res, this.#pickServer());
    if (method !== 'GET' && method !== 'HEAD') return end(res, 405, 'method not allowed');
    if (url.pathname === '/') {
      res.writeHead(302, { location: '/report/' });
      return void res.end();
    }
    if (url.pathname === '/report/' || url.pathname === '/report/index.html') return this.#page(res);
    // Every browser asks for one: no content, rather than a 404 in the page's console.
    if (url.pathname === '/favicon.ico') {
      res.writeHead(204, { 'cache-control': 'max-age=86400' });
      return void res.end();
    }
    if (url.pathname === '/events') return this.#streams.open(req, res);
    const rel = requestedFile(url.pathname);
    const sent =
      rel !== null &&
      (await sendFile(res, {
        outDir: this.#outDir,
        root: this.#root,
        rel,
        allowed: this.#allowed,
        head: method === 'HEAD',
      }));
    if (!sent) end(res, 404, 'not found');
  }

  #page(res: ServerResponse): void {
    // Before the first data: a page that says so, and fills in from its event stream.
    const html = renderPage(this.#data ?? { ...noPlan(this.path, this.rt), building: true }, {
      token: this.#token,
      session: this.#session,
      pick: this.options.pick !== undefined,
      pingMs: this.#streams.pingMs,
    });
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' });
    res.end(html);
  }

  #pickServer(): PickServer {
    const { path, hosts } = this;
    const rebuild = (): Promise<void> => this.rebuild();
    return { path, hosts, token: this.#token, data: () => this.#data, pick: this.options.pick, rebuild };
  }

  closeClients(): void {
    this.#closed = true;
    this.#abort.abort();
    if (this.#timer !== null) clearTimeout(this.#timer);
    this.#timer = null;
    this.#streams.closeAll();
  }

  async close(): Promise<void> {
    await this.#running?.catch(() => undefined);
    await this.#opened?.discard();
    await this.#remote.close();
  }
}
