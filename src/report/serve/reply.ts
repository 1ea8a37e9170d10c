/** A plain-text answer of the watch server (an error, or a pick's outcome): never sniffed as HTML. */
import type { ServerResponse } from 'node:http';

export function end(res: ServerResponse, status: number, text: string): void {
  res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', 'x-content-type-options': 'nosniff' });
  res.end(`${text}\n`);
}
