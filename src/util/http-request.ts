/**
 * undici's `request`, stopped when its signal says, even while its connection is being made.
 * undici settles a request aborted during the connect only once the connect itself settles: a
 * proxy that never answers the CONNECT, a TLS handshake that stalls, a host that drops the SYN
 * held Ctrl-C for the rest of the connect timeout (10 s; a submit's 5 s grace on top). Here the
 * caller is answered at once; undici, told too, never writes the request once connected (it
 * checks before writing) and settles it later on its own, and {@link closeDispatcher} does not
 * wait for such a connect.
 * See docs/architecture.md#proxies.
 */
import { type Dispatcher, errors, request } from 'undici';
import { cancelConnects, mayHaveSent } from './proxy-dispatcher.js';

type RequestOptions = Omit<Dispatcher.RequestOptions, 'origin' | 'path' | 'method'> &
  Partial<Pick<Dispatcher.RequestOptions, 'method'>> & { readonly dispatcher: Dispatcher };

/** What stops a request. */
export interface RequestStops {
  /** Stops it wherever it is (a call's own signal: a read's Ctrl-C, a submit's grace over). */
  readonly signal?: AbortSignal | undefined;
  /**
   * Stops it only while nothing of it can have been written: no connection to its origin was
   * open when it started and none has been handed over since (util/proxy-dispatcher.ts
   * `mayHaveSent`). A submit's Ctrl-C: a submit on the wire gets its grace, one still waiting
   * for its connection has nothing to finish. Then the call rejects with {@link StoppedUnsent}.
   */
  readonly unsent?: AbortSignal | undefined;
}

/** A request stopped by {@link RequestStops.unsent} before any of it was written: nothing was sent. */
export class StoppedUnsent extends Error {
  override readonly name = 'StoppedUnsent';
  constructor(readonly signal: AbortSignal) {
    super('stopped before the request was sent');
  }
}

/** Per dispatcher: requests under way (until their body closes), and those given up while connecting. */
interface Traffic {
  live: number;
  abandoned: number;
  idle: (() => void)[];
}
const trafficOf = new WeakMap<Dispatcher, Traffic>();

function traffic(dispatcher: Dispatcher): Traffic {
  let t = trafficOf.get(dispatcher);
  if (t === undefined) {
    t = { live: 0, abandoned: 0, idle: [] };
    trafficOf.set(dispatcher, t);
  }
  return t;
}

function settle(t: Traffic, kind: 'live' | 'abandoned'): void {
  t[kind]--;
  if (t.live === 0) for (const wake of t.idle.splice(0)) wake();
}

/** `request(url, options)`, stopped at once by `stops` (see the module's comment). */
export function requestNow(
  url: string,
  options: RequestOptions,
  stops: RequestStops = {},
): Promise<Dispatcher.ResponseData> {
  const { signal, unsent } = stops;
  if (signal === undefined && unsent === undefined) return tracked(options.dispatcher, request(url, options));
  // undici is given the caller's signal as it is; a controller of our own only when `unsent` may
  // stop the request too (a submit): one per request cost ~40 µs, polls and downloads included.
  const own = unsent === undefined ? null : new AbortController();
  const started = performance.now();
  const pending = request(url, { ...options, signal: own?.signal ?? signal });
  const t = traffic(options.dispatcher);
  t.live++;
  return new Promise((resolve, reject) => {
    let answered = false;
    // The caller's signal goes on stopping the request (its body) until the body is done.
    const onAbort = (): void => {
      const reason: unknown = signal?.reason ?? new errors.RequestAbortedError();
      own?.abort(reason); // else undici has the caller's signal itself
      giveUp(reason);
    };
    const onUnsent = (): void => {
      if (!mayHaveSent(options.dispatcher, url, started)) {
        const reason = new StoppedUnsent(unsent as AbortSignal);
        own?.abort(reason);
        giveUp(reason);
      }
    };
    const unlisten = (): void => {
      signal?.removeEventListener('abort', onAbort);
      unsent?.removeEventListener('abort', onUnsent);
    };
    const giveUp = (reason: unknown): void => {
      if (answered) return;
      answered = true;
      unlisten();
      // Left to settle on its own (its connect's timeout at most): an answer that comes is not read.
      t.live--;
      t.abandoned++;
      pending.then(
        (res) => res.body.destroy(),
        () => undefined,
      );
      void pending.catch(() => undefined).finally(() => settle(t, 'abandoned'));
      if (t.live === 0) for (const wake of t.idle.splice(0)) wake();
      reject(reason);
    };
    pending.then(
      (res) => {
        if (answered) return;
        answered = true;
        unsent?.removeEventListener('abort', onUnsent);
        res.body.once('close', () => {
          signal?.removeEventListener('abort', onAbort);
          settle(t, 'live');
        });
        resolve(res);
      },
      (e: unknown) => {
        if (answered) return;
        answered = true;
        unlisten();
        settle(t, 'live');
        reject(e);
      },
    );
    if (signal?.aborted) onAbort();
    else signal?.addEventListener('abort', onAbort, { once: true });
    if (unsent?.aborted) onUnsent();
    else unsent?.addEventListener('abort', onUnsent, { once: true });
  });
}

/** Counted while under way, as {@link requestNow}'s are. */
function tracked(dispatcher: Dispatcher, pending: Promise<Dispatcher.ResponseData>): Promise<Dispatcher.ResponseData> {
  const t = traffic(dispatcher);
  t.live++;
  return pending.then(
    (res) => {
      res.body.once('close', () => settle(t, 'live'));
      return res;
    },
    (e: unknown) => {
      settle(t, 'live');
      throw e;
    },
  );
}

/**
 * Close `dispatcher` once its requests are done. When some were given up while connecting
 * ({@link requestNow}), once the others are done their connects are given up and it is destroyed
 * instead of closed: `close()` would wait for those connects, and their sockets would keep the
 * process alive, up to the connect timeout.
 */
export async function closeDispatcher(dispatcher: Dispatcher): Promise<void> {
  const t = trafficOf.get(dispatcher);
  if (t === undefined || t.abandoned === 0) return dispatcher.close();
  if (t.live > 0) await new Promise<void>((wake) => t.idle.push(wake));
  if (t.abandoned === 0) return dispatcher.close();
  cancelConnects(dispatcher);
  return dispatcher.destroy();
}
