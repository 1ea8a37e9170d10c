/**
 * The open pages' event streams (Server-Sent Events). Each event carries the whole model, so a
 * page that has fallen behind needs only the newest one: while a stream's socket is not draining
 * (a page that never reads, a stalled tab) no event is queued for it; once it drains it is sent
 * the newest. So each stream holds at most one model beyond the socket's own buffers, however
 * many updates a long watch session makes (before, every update was queued for every stream).
 * A stream starts with the server's session id (`event: session`): a page built by an earlier
 * watch process on the same port reconnects here, and by it knows its token is no longer valid.
 * Every `pingMs` each stream is sent `event: ping`: a page that hears nothing for over two knows
 * the server is not answering though its socket is open (the process stopped with `kill -STOP`,
 * a debugger, a machine asleep), which raises no error on the page (walk-ac 4: it stayed `live`).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';

/** How often each stream is sent a `ping` by default: a page that hears none for over two says `reconnecting…`. */
const PING_MS = 5_000;

export class EventStreams {
  /** Each open stream, and whether it skipped an event while its socket was full. */
  readonly #streams = new Map<ServerResponse, { behind: boolean }>();
  #last: string | null = null;
  #pinger: ReturnType<typeof setInterval> | null = null;

  /** `session`: this server's id, public (not the token), also in the page it serves. */
  constructor(
    private readonly session: string,
    readonly pingMs: number = PING_MS,
  ) {}

  /** Answer `req` with an event stream, starting with the newest model, if any. */
  open(req: IncomingMessage, res: ServerResponse): void {
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-store',
      connection: 'keep-alive',
    });
    res.write(`retry: 1000\n\nevent: session\ndata: ${this.session}\n\n`);
    const stream = { behind: false };
    if (this.#last !== null) res.write(this.#last);
    this.#streams.set(res, stream);
    res.on('drain', () => {
      if (!stream.behind || this.#last === null) return;
      stream.behind = false;
      res.write(this.#last);
    });
    req.once('close', () => {
      this.#streams.delete(res);
      if (this.#streams.size === 0) this.#stopPings();
    });
    this.#pinger ??= setInterval(() => this.#ping(), this.pingMs).unref();
  }

  /** A stream whose socket is full is not sent one: its page is behind anyway, and gets the newest model next. */
  #ping(): void {
    for (const res of this.#streams.keys())
      if (!res.writableNeedDrain) res.write(`event: ping\ndata: ${this.pingMs}\n\n`);
  }

  #stopPings(): void {
    if (this.#pinger !== null) clearInterval(this.#pinger);
    this.#pinger = null;
  }

  /** Send the new model (`event: model`) to every stream that can take it now. */
  publish(model: unknown): void {
    const frame = `event: model\ndata: ${JSON.stringify(model)}\n\n`;
    this.#last = frame;
    for (const [res, stream] of this.#streams) {
      if (res.writableNeedDrain) stream.behind = true;
      else res.write(frame);
    }
  }

  closeAll(): void {
    this.#stopPings();
    for (const res of this.#streams.keys()) res.end();
    this.#streams.clear();
  }
}
