import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { editRequest, errorTexts, harness, rejection, TOKEN, type Harness } from './harness.js';

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

describe('the token never leaks', () => {
  it('not in any error (message, hint, stack, cause chain), nor in the request log', async () => {
    const echo = `token ${TOKEN} was revoked`;
    h = await harness({
      scenario: {
        faults: [
          { kind: 'http', on: 'submit', nth: 1, status: 401, message: echo },
          { kind: 'http', on: 'submit', nth: 2, status: 422, message: echo },
          { kind: 'http', on: 'submit', nth: 3, status: 400, error_code: 400002, message: echo },
          { kind: 'reset', on: 'submit', nth: 4 },
          { kind: 'http', on: 'status', status: 503, message: echo },
          { kind: 'remote-failed', error: { message: echo } },
        ],
      },
    });
    const errors: unknown[] = [];
    for (let i = 0; i < 4; i++) errors.push(await rejection(h.provider.submit(await editRequest())));
    const { requestId } = await h.provider.submit(await editRequest());
    errors.push(await rejection(h.provider.wait(requestId)));
    h.emulator.setScenario({ faults: [{ kind: 'remote-failed', error: { message: echo } }] });
    const second = await h.provider.submit(await editRequest());
    errors.push(await rejection(h.provider.wait(second.requestId)));
    errors.push(
      await rejection(h.provider.download(`http://127.0.0.1:1/files/x.png?token=${TOKEN}`, join(h.dir, 'x.png'))),
    );

    expect(errors).toHaveLength(7);
    for (const e of errors) {
      const text = errorTexts(e);
      expect(text.length).toBeGreaterThan(0);
      expect(text).not.toContain(TOKEN);
    }
    expect(errorTexts(errors[0])).toContain('***');
    expect(JSON.stringify(h.emulator.requestLog())).not.toContain(TOKEN);
    expect(JSON.stringify(h.retries)).not.toContain(TOKEN);
  });
});
