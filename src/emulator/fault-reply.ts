/** Apply a per-call fault (HTTP error, reset, malformed JSON) instead of the real reply. */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { CallFault, CallPlan } from './faults.js';
import { sendJson } from './http-io.js';
import type { RequestLogEntry } from './request-log.js';

const DEFAULT_MESSAGES: Record<number, string> = {
  200: 'Request failed',
  400: 'Bad request',
  401: 'Unauthorized: invalid or missing token',
  403: 'Forbidden: not your resource',
  404: 'Not found',
  422: 'Unprocessable input',
  429: 'Too many requests, slow down',
  500: 'Internal server error',
  502: 'Bad gateway',
  503: 'Service unavailable',
};

/**
 * Default `error_code` per status when the scenario gives none (an auth failure as HTTP 400 must say 400004 itself).
 */
const DEFAULT_CODES: Record<number, number> = { 200: 500001, 400: 400001, 403: 403001, 404: 404001 };

/** A fault as the request log names it: `http 503`, `reset`, `random http 429`, `http 503 after accept`. */
export function faultLabel(fault: CallFault, source: CallPlan['source']): string {
  const what = fault.kind === 'http' ? `http ${fault.status}` : fault.kind;
  const after = fault.kind !== 'malformed-json' && fault.after_accept === true ? ' after accept' : '';
  return `${source === 'random' ? 'random ' : ''}${what}${after}`;
}

/** The plan to reply with once a submit was accepted, when its fault comes after that (`after_accept`). */
export function acceptedFault(plan: CallPlan | undefined): (CallPlan & { fault: CallFault }) | undefined {
  return plan?.afterAccept ? { ...plan, fault: plan.afterAccept } : undefined;
}

export function replyWithFault(
  req: IncomingMessage,
  res: ServerResponse,
  plan: CallPlan & { fault: CallFault },
  entry: RequestLogEntry,
): void {
  const { fault } = plan;
  entry.fault = [entry.fault, faultLabel(fault, plan.source)].filter(Boolean).join('+');
  switch (fault.kind) {
    case 'reset':
      req.socket.destroy();
      return;
    case 'malformed-json': {
      const text = '{"request_id": "emulated", "status": "in_queue", <<not json';
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(text)) });
      res.end(text);
      return;
    }
    case 'http': {
      if (replyForeign(res, fault)) return;
      const headers: Record<string, string> = {};
      if (fault.retry_after !== undefined) headers['retry-after'] = String(fault.retry_after);
      const code = fault.error_code ?? DEFAULT_CODES[fault.status] ?? fault.status * 1000;
      const message = fault.message ?? DEFAULT_MESSAGES[fault.status] ?? `HTTP ${fault.status}`;
      sendJson(res, fault.status, { error_code: code, error_message: `${message} (emulated fault)` }, headers);
      return;
    }
    default: {
      const never: never = fault;
      return never;
    }
  }
}

const STATUS_TEXT: Record<number, string> = { 404: 'Not Found', 502: 'Bad Gateway', 503: 'Service Unavailable' };

/**
 * An HTTP fault answered as something in front of the API would (`body: html`: a proxy's or
 * load balancer's error page; `empty`: no body): true when it replied, false for a `native` one.
 */
export function replyForeign(res: ServerResponse, fault: Extract<CallFault, { kind: 'http' }>): boolean {
  if (fault.body === undefined || fault.body === 'native') return false;
  const headers: Record<string, string> = {};
  if (fault.retry_after !== undefined) headers['retry-after'] = String(fault.retry_after);
  const title = `${fault.status} ${STATUS_TEXT[fault.status] ?? 'Error'}`;
  const text =
    fault.body === 'html'
      ? `<html><head><title>${title}</title></head><body><center><h1>${title}</h1></center>` +
        '<hr><center>nginx</center></body></html>\n'
      : '';
  if (fault.body === 'html') headers['content-type'] = 'text/html';
  res.writeHead(fault.status, { ...headers, 'content-length': String(Buffer.byteLength(text)) });
  res.end(text);
  return true;
}
