/** The body of a pick request: `{"node": "<node id>", "expectSha256": "<hex>"}`, JSON, at most 4 KiB. */
import type { IncomingMessage } from 'node:http';

const MAX_BODY = 4096;
const SHA256_HEX = /^[0-9a-f]{64}$/;

export interface PickBody {
  readonly node: string;
  /** sha256 of the recipe the page was built from (`ReportData.recipe.sha256`); null when not sent. */
  readonly expectSha256: string | null;
}

/** The request's node id and recipe sha256; null for a body that is not one (a sha256 not in hex is not). */
export async function readPick(req: IncomingMessage): Promise<PickBody | null> {
  if (!String(req.headers['content-type'] ?? '').startsWith('application/json')) return null;
  let size = 0;
  const chunks: Buffer[] = [];
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY) return null;
    chunks.push(chunk);
  }
  try {
    const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown> | null;
    const node = body?.['node'];
    const sha = body?.['expectSha256'];
    if (typeof node !== 'string') return null;
    if (sha === undefined) return { node, expectSha256: null };
    return typeof sha === 'string' && SHA256_HEX.test(sha) ? { node, expectSha256: sha } : null;
  } catch {
    return null;
  }
}
