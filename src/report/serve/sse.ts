/**
 * The open pages' event streams (Server-Sent Events). Each event carries the whole model, so a
 * page that has fallen behind needs only the newest one: while a stream's socket is not draining
 * (a page that never reads, a stalled tab) no event is queued for it; once it drains it is sent
 * the newest. So each stream holds at most one model beyond the socket's own buffers, however
 * many updates a long watch session makes (before, every update was queued for every stream).
 * A stream starts with the server's session id (`event: session`): a page built by an earlier
 * watch process on the same port reconnects here, and by it knows its token is no longer valid.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';

export class EventStreams {
  /** Each open stream, and whether it skipped an event while its socket was full. */
  readonly #streams = new Map<ServerResponse, { behind: boolean }>();
  #last: string | null = null;

  /** `session`: this server's id, public (not the token), also in the page it serves. */
  constructor(private readonly session: string) {}

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
    req.once('close', () => this.#streams.delete(res));
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
    for (const res of this.#streams.keys()) res.end();
    this.#streams.clear();
  }
}
