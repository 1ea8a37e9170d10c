/** The body of a pick request: `{"node": "<node id>"}`, JSON, at most 4 KiB. */
import type { IncomingMessage } from 'node:http';

const MAX_BODY = 4096;

export async function readPick(req: IncomingMessage): Promise<string | null> {
  if (!String(req.headers['content-type'] ?? '').startsWith('application/json')) return null;
  let size = 0;
  const chunks: Buffer[] = [];
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY) return null;
    chunks.push(chunk);
  }
  try {
    const body: unknown = JSON.parse(Buffer.concat(chunks).toString('utf8'));
    const node = (body as { readonly node?: unknown } | null)?.node;
    return typeof node === 'string' ? node : null;
  } catch {
    return null;
  }
}
