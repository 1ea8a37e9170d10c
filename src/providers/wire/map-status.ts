/**
 * HTTP error replies of the BFL and fal.ai APIs as typed errors (pure): FastAPI-style bodies
 * (`{"detail": "…"}` or `{"detail": [{loc, msg, type}]}`), no numeric error codes.
 * 401/403 → auth (77), but a 403 or 402 about an exhausted balance → balance (65); 408/429 →
 * rate limited (75 after retries); 5xx → unavailable (69 after retries); other 4xx → input
 * rejected (65). A 422 whose `type` is `content_policy_violation` is a moderation.
 */
import {
  AuthError,
  BalanceExhaustedError,
  InputRejectedError,
  type ProviderError,
  RateLimitedError,
  UpstreamUnavailableError,
} from '../runcomfy/errors.js';
import { ModeratedError } from './moderated.js';
import { clipRedacted } from '../../util/redact.js';

const MAX_TEXT = 300;

/** Who is speaking, for hints: the env vars to set and where to top up. */
export interface ProviderVoice {
  /** e.g. `BFL` */
  readonly label: string;
  readonly authHint: string;
  readonly balanceHint: string;
}

export type HttpErrorKind = 'auth' | 'balance' | 'input' | 'rate' | 'unavailable' | 'moderated';

/** Whitespace folded, `secrets` replaced, then clipped (in that order: see clipRedacted). */
function clip(text: string, secrets: readonly string[]): string {
  return clipRedacted(text.replace(/\s+/g, ' ').trim(), MAX_TEXT, secrets);
}

/** The `detail` entries of a FastAPI body (a list), else none. */
function detailList(body: unknown): Record<string, unknown>[] {
  const d = body !== null && typeof body === 'object' ? (body as Record<string, unknown>)['detail'] : undefined;
  return Array.isArray(d) ? d.filter((x): x is Record<string, unknown> => x !== null && typeof x === 'object') : [];
}

/**
 * The error text of a body: `detail` (a string, or each entry's `loc: msg`), `message`, `error`;
 * else the raw text. `secrets` are replaced before the text is clipped.
 */
export function detailText(body: unknown, rawText = '', secrets: readonly string[] = []): string | undefined {
  if (body !== null && typeof body === 'object' && !Array.isArray(body)) {
    const b = body as Record<string, unknown>;
    const list = detailList(body);
    if (list.length > 0) {
      return clip(
        list
          .map((i) => {
            const loc = Array.isArray(i['loc']) ? i['loc'].filter((p) => p !== 'body').join('.') : '';
            return `${loc ? `${loc}: ` : ''}${String(i['msg'] ?? i['type'] ?? 'invalid')}`;
          })
          .join('; '),
        secrets,
      );
    }
    for (const key of ['detail', 'message', 'error']) {
      const v = b[key];
      if (typeof v === 'string' && v.trim() !== '') return clip(v, secrets);
    }
  }
  const raw = rawText.trim();
  return raw && body === undefined ? clip(raw, secrets) : undefined;
}

/**
 * Whether a body is a FastAPI error, the shape of BFL's and fal's own error replies: an object
 * whose `detail` is a non-empty string or list. A proxy's page, an empty body or another JSON
 * error (`{"message": …}`) is not.
 */
export function hasDetail(body: unknown): boolean {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) return false;
  const d = (body as Record<string, unknown>)['detail'];
  return (typeof d === 'string' && d.trim() !== '') || (Array.isArray(d) && d.length > 0);
}

/** Whether a body names a content-policy (moderation) failure. */
function isModeration(body: unknown): boolean {
  return detailList(body).some((i) => i['type'] === 'content_policy_violation');
}

export function classifyHttpError(status: number, body: unknown, rawText = ''): HttpErrorKind {
  const text = (detailText(body, rawText) ?? '').toLowerCase();
  if (status === 402 || (status === 403 && /balance|credit/.test(text))) return 'balance';
  if (status === 401 || status === 403) return 'auth';
  if (status === 408 || status === 429) return 'rate';
  if (status >= 500) return 'unavailable';
  if (status === 422 && isModeration(body)) return 'moderated';
  return 'input';
}

export function isRetryableHttpKind(kind: HttpErrorKind): boolean {
  return kind === 'rate' || kind === 'unavailable';
}

export interface HttpErrorContext {
  readonly call: string;
  readonly voice: ProviderVoice;
  readonly requestId?: string | undefined;
  readonly secrets: readonly string[];
  /** The reply was labelled JSON (see `ProviderErrorOptions.jsonReply`). */
  readonly jsonReply?: boolean | undefined;
}

/** The typed error for an error reply. */
export function httpError(status: number, body: unknown, rawText: string, ctx: HttpErrorContext): ProviderError {
  const kind = classifyHttpError(status, body, rawText);
  const text = detailText(body, rawText, ctx.secrets) ?? 'no error message';
  const message = `${ctx.voice.label} ${ctx.call}: HTTP ${status}: ${text}`;
  const jsonReply = ctx.jsonReply === true && body !== null && typeof body === 'object' && !Array.isArray(body);
  const options = { status, requestId: ctx.requestId, secrets: ctx.secrets, jsonReply };
  switch (kind) {
    case 'auth':
      return new AuthError(message, { ...options, hint: ctx.voice.authHint });
    case 'balance':
      return new BalanceExhaustedError(message, { ...options, hint: ctx.voice.balanceHint });
    case 'input':
      return new InputRejectedError(message, options);
    case 'rate':
      return new RateLimitedError(message, options);
    case 'unavailable':
      return new UpstreamUnavailableError(message, {
        ...options,
        failureType: jsonReply ? failureTypeOf(body) : undefined,
        hint: `${ctx.voice.label} is failing; run again later`,
      });
    case 'moderated':
      return new ModeratedError(message, { ...options, remoteError: body });
    default: {
      const never: never = kind;
      throw new Error(`unhandled error kind ${String(never)}`);
    }
  }
}

/** fal's `error_type` of a 5xx body (`runner_server_error`, `request_timeout`, …), when it is a plain word. */
function failureTypeOf(body: unknown): string | undefined {
  const t = body !== null && typeof body === 'object' ? (body as Record<string, unknown>)['error_type'] : undefined;
  return typeof t === 'string' && /^[a-z][a-z0-9_]{0,63}$/.test(t) ? t : undefined;
}
