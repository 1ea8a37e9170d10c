/**
 * A submit's retry offers `beforeNext` (run/submit-between.ts re-arms the node's intent there): the
 * hook runs after the pause and the next attempt waits for it; a hook that throws sends nothing
 * more. Reads get no such hook.
 */
import { describe, expect, it } from 'vitest';
import { createRuntime } from '../../../src/index.js';
import { RateLimitedError } from '../../../src/providers/runcomfy/errors.js';
import { type AttemptOutcome, withRetries } from '../../../src/providers/runcomfy/retry-loop.js';
import type { RetryNotice } from '../../../src/providers/types.js';

const rt = createRuntime({ env: {}, sleep: async () => undefined });
const policy = { maxAttempts: 3, baseMs: 1, capMs: 1, maxRetryAfterMs: 1 };

/** Refused once, then accepted; `log` says what happened in order. */
function attempts(log: string[]): () => Promise<AttemptOutcome<string>> {
  let n = 0;
  return async () => {
    n++;
    log.push(`attempt ${n}`);
    if (n === 1)
      return {
        ok: false,
        error: new RateLimitedError('HTTP 429', { status: 429 }),
        retryable: true,
        reason: 'HTTP 429',
      };
    return { ok: true, value: 'req-1' };
  };
}

describe('withRetries: beforeNext', () => {
  it('a submit: the hook runs between the pause and the next attempt, which waits for it', async () => {
    const log: string[] = [];
    const onRetry = (n: RetryNotice): void =>
      n.beforeNext?.(async () => {
        await new Promise((r) => setTimeout(r, 20));
        log.push('hook done');
      });
    await expect(withRetries('submit', { rt, policy, submit: true, onRetry }, attempts(log))).resolves.toBe('req-1');
    expect(log).toEqual(['attempt 1', 'hook done', 'attempt 2']);
  });

  it('a hook that throws: nothing more is sent, the submit fails with its error', async () => {
    const log: string[] = [];
    const onRetry = (n: RetryNotice): void =>
      n.beforeNext?.(async () => {
        throw new Error('the journal could not be written');
      });
    await expect(withRetries('submit', { rt, policy, submit: true, onRetry }, attempts(log))).rejects.toThrow(
      'the journal could not be written',
    );
    expect(log).toEqual(['attempt 1']);
  });

  it('a read is offered no hook', async () => {
    const notices: RetryNotice[] = [];
    await withRetries('status', { rt, policy, onRetry: (n) => notices.push(n) }, attempts([]));
    expect(notices).toHaveLength(1);
    expect(notices[0]?.beforeNext).toBeUndefined();
  });
});
