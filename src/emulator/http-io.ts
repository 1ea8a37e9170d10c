/** Small reply/read helpers shared by every emulator route. */
import type { IncomingMessage, ServerResponse } from 'node:http';

/** Bodies larger than this are refused: a data-URI image is a few MB at most. */
const MAX_BODY_BYTES = 64 * 1024 * 1024;

export function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  if (res.destroyed || res.headersSent) return;
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': String(Buffer.byteLength(text)),
    ...headers,
  });
  res.end(text);
}

/** The error shape the client reads first: `{ error_code, error_message }`. */
export function sendError(
  res: ServerResponse,
  status: number,
  errorCode: number,
  message: string,
  headers: Record<string, string> = {},
): void {
  sendJson(res, status, { error_code: errorCode, error_message: message }, headers);
}

export type BodyResult = { ok: true; value: unknown } | { ok: false; status: number; message: string };

/** Read and parse a JSON body; an empty body parses as `undefined`. */
export async function readJsonBody(req: IncomingMessage): Promise<BodyResult> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const buf = chunk as Buffer;
    size += buf.length;
    if (size > MAX_BODY_BYTES) return { ok: false, status: 413, message: 'Request body too large' };
    chunks.push(buf);
  }
  const text = Buffer.concat(chunks).toString('utf8');
  if (text.trim() === '') return { ok: true, value: undefined };
  try {
    return { ok: true, value: JSON.parse(text) as unknown };
  } catch {
    return { ok: false, status: 400, message: 'Request body is not valid JSON' };
  }
}

/** Any non-empty bearer token is accepted, like a signed-in account. */
export function hasBearer(req: IncomingMessage): boolean {
  const h = req.headers.authorization;
  return typeof h === 'string' && /^Bearer\s+\S+/i.test(h.trim());
}
