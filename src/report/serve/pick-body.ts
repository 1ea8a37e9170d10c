/**
 * The body of a pick request: `{"node": "<node id>", "expectSha256": "<hex>"}`, with `"clear": true`
 * to un-pick the node's pass; JSON, at most 4 KiB.
 */
import type { IncomingMessage } from 'node:http';

const MAX_BODY = 4096;
const SHA256_HEX = /^[0-9a-f]{64}$/;

export interface PickBody {
  readonly node: string;
  /** sha256 of the recipe the page was built from (`ReportData.recipe.sha256`); null when not sent. */
  readonly expectSha256: string | null;
  /** Take the pass's `pick:` out (the page's un-pick button) rather than write one. */
  readonly clear: boolean;
}

/**
 * The request's node id and recipe sha256; null for a body that is not one (a sha256 not in hex
 * is not); `too-large` for a body over 4 KiB, said or found (the rest is not read: the caller
 * answers 413 and closes the connection).
 */
export async function readPick(req: IncomingMessage): Promise<PickBody | 'too-large' | null> {
  if (!String(req.headers['content-type'] ?? '').startsWith('application/json')) return null;
  if (Number(req.headers['content-length'] ?? 0) > MAX_BODY) return 'too-large';
  const bytes = await readUpTo(req, MAX_BODY);
  if (bytes === 'too-large') return bytes;
  try {
    const body = JSON.parse(bytes.toString('utf8')) as Record<string, unknown> | null;
    const node = body?.['node'];
    const sha = body?.['expectSha256'];
    const clear = body?.['clear'] ?? false;
    if (typeof node !== 'string' || typeof clear !== 'boolean') return null;
    if (sha === undefined) return { node, expectSha256: null, clear };
    return typeof sha === 'string' && SHA256_HEX.test(sha) ? { node, expectSha256: sha, clear } : null;
  } catch {
    return null;
  }
}

/** The body, or `too-large` once it passes `max` bytes (reading stops; the request stays open to be answered). */
function readUpTo(req: IncomingMessage, max: number): Promise<Buffer | 'too-large'> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const stop = (): void => {
      req.off('data', onData);
      req.pause();
    };
    const onData = (chunk: Buffer): void => {
      size += chunk.length;
      if (size <= max) return void chunks.push(chunk);
      stop();
      resolve('too-large');
    };
    req.on('data', onData);
    req.once('end', () => resolve(Buffer.concat(chunks)));
    req.once('error', reject);
    // A client gone before the end: nothing to answer.
    req.once('close', () => resolve('too-large'));
  });
}
