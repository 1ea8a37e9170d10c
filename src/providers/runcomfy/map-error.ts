/**
 * The error table of docs/architecture.md#the-runcomfy-api as pure functions: which replies are errors, what their
 * text and code are, whether a retry may help, and which typed error they become.
 */
import {
  AuthError,
  BalanceExhaustedError,
  InputRejectedError,
  RateLimitedError,
  UpstreamUnavailableError,
  type ProviderError,
  type ProviderErrorOptions,
} from './errors.js';
import { clipRedacted } from '../../util/redact.js';

const TEXT_FIELDS = ['error_message', 'message', 'error', 'detail'] as const;
const MAX_TEXT = 300;

/** The error `error_code` of a reply body (number or numeric string); 0/absent means none. */
export function errorCodeOf(body: unknown): number | undefined {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) return undefined;
  const raw = (body as Record<string, unknown>)['error_code'];
  let n: number | undefined;
  if (typeof raw === 'number') n = raw;
  else if (typeof raw === 'string' && /^\d+$/.test(raw.trim())) n = Number(raw);
  return n === undefined || n === 0 || !Number.isFinite(n) ? undefined : n;
}

/**
 * Error text from `error_message`, `message`, `error`, `detail` (first present), else the raw
 * text; `secrets` are replaced before the text is clipped (see clipRedacted).
 */
export function errorTextOf(body: unknown, rawText = '', secrets: readonly string[] = []): string | undefined {
  if (body !== null && typeof body === 'object' && !Array.isArray(body)) {
    for (const key of TEXT_FIELDS) {
      const text = describe((body as Record<string, unknown>)[key], secrets);
      if (text) return clipRedacted(text, MAX_TEXT, secrets);
    }
  }
  const raw = rawText.replace(/\s+/g, ' ').trim();
  return raw && body === undefined ? clipRedacted(raw, MAX_TEXT, secrets) : undefined;
}

function describe(v: unknown, secrets: readonly string[]): string | undefined {
  if (v === undefined || v === null || v === '') return undefined;
  if (typeof v === 'string') return v;
  if (typeof v === 'object' && !Array.isArray(v)) {
    const inner = errorTextOf(v, '', secrets);
    if (inner) return inner;
  }
  return JSON.stringify(v);
}

/** Whether a reply is an error: not 2xx, or any status carrying a top-level `error_code`. */
export function isErrorReply(status: number, body: unknown): boolean {
  return status >= 300 || status < 200 || errorCodeOf(body) !== undefined;
}

/**
 * The HTTP-like status an error reply stands for: its own when ≥ 400, else the prefix of a
 * six-digit `error_code` (429001 → 429), else 400.
 */
export function effectiveStatus(status: number, errorCode: number | undefined): number {
  if (status >= 400) return status;
  const fromCode = errorCode !== undefined ? Math.floor(errorCode / 1000) : undefined;
  return fromCode !== undefined && fromCode >= 400 && fromCode < 600 ? fromCode : 400;
}

export type ErrorKind = 'auth' | 'balance' | 'input' | 'rate' | 'unavailable';

/** Classify an error reply. An `error_code` like 429001 lends its HTTP-like prefix to a 200 reply. */
export function classifyError(status: number, errorCode: number | undefined): ErrorKind {
  if (status === 401 || status === 403 || errorCode === 400004 || errorCode === 403001) return 'auth';
  if (errorCode === 400002) return 'balance';
  const effective = effectiveStatus(status, errorCode);
  // RunComfy's own nodes and CLI read a 402 as "insufficient balance" (its error_code is 400002 when given).
  if (effective === 402) return 'balance';
  if (effective === 401 || effective === 403) return 'auth';
  if (effective === 408 || effective === 429) return 'rate';
  if (effective >= 500) return 'unavailable';
  return 'input';
}

/** Whether an error of this kind may pass on a retry. */
export function isRetryableKind(kind: ErrorKind): boolean {
  return kind === 'rate' || kind === 'unavailable';
}

export interface ErrorContext {
  /** The call, for the message: `submit`, `status`, `result`, `cancel`, `model info`. */
  readonly call: string;
  readonly requestId?: string | undefined;
  readonly secrets?: readonly string[] | undefined;
}

/** Build the typed error for an error reply. */
export function errorFromReply(status: number, body: unknown, rawText: string, ctx: ErrorContext): ProviderError {
  const errorCode = errorCodeOf(body);
  const kind = classifyError(status, errorCode);
  const text = errorTextOf(body, rawText, ctx.secrets) ?? 'no error message';
  const codePart = errorCode !== undefined ? ` (error_code ${errorCode})` : '';
  const message = `${ctx.call}: HTTP ${status}${codePart}: ${text}`;
  const options: ProviderErrorOptions = { status, errorCode, requestId: ctx.requestId, secrets: ctx.secrets };
  switch (kind) {
    case 'auth':
      return new AuthError(message, options);
    case 'balance':
      return new BalanceExhaustedError(message, options);
    case 'input':
      return new InputRejectedError(message, options);
    case 'rate':
      return new RateLimitedError(message, options);
    case 'unavailable':
      return new UpstreamUnavailableError(message, options);
    default: {
      const never: never = kind;
      throw new Error(`unhandled error kind ${String(never)}`);
    }
  }
}
