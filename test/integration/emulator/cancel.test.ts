import { describe, expect, it } from 'vitest';
import { api, dataUri, emulator, settle, submit, testImage } from './helpers.js';

type CancelReply = { request_id: string; status: string; outcome: string };

describe('emulator cancel', () => {
  it('cancels a queued request (202, outcome cancelled) and it stays cancelled', async () => {
    const em = await emulator({ queueMs: 5_000 });
    const { request_id: id } = await submit(em, { prompt: 'p', image_url: dataUri(await testImage()) });
    const res = await api(em, 'POST', `/requests/${id}/cancel`);
    expect(res.status).toBe(202);
    expect(await res.json()).toEqual({ request_id: id, status: 'cancelled', outcome: 'cancelled' });
    expect(await settle(em, id)).toBe('cancelled');
    const result = (await (await api(em, 'GET', `/requests/${id}/result`)).json()) as {
      status: string;
      output?: unknown;
      finished_at?: string;
    };
    expect(result.status).toBe('cancelled');
    expect(result.output).toBeUndefined();
    expect(result.finished_at).toBeDefined();
  });

  it('answers not_cancellable for a running or finished request', async () => {
    const em = await emulator({ queueMs: 1, runMs: 5_000 });
    const { request_id: id } = await submit(em, { prompt: 'p', image_url: dataUri(await testImage()) });
    for (let i = 0; i < 200; i++) {
      const s = (await (await api(em, 'GET', `/requests/${id}/status`)).json()) as { status: string };
      if (s.status === 'in_progress') break;
      await new Promise((r) => setTimeout(r, 5));
    }
    const running = (await (await api(em, 'POST', `/requests/${id}/cancel`)).json()) as CancelReply;
    expect(running).toEqual({ request_id: id, status: 'in_progress', outcome: 'not_cancellable' });

    em.setScenario({ run_ms: 1 });
    const { request_id: done } = await submit(em, { prompt: 'p', image_url: dataUri(await testImage()) });
    expect(await settle(em, done)).toBe('completed');
    const finished = (await (await api(em, 'POST', `/requests/${done}/cancel`)).json()) as CancelReply;
    expect(finished.outcome).toBe('not_cancellable');
    expect(finished.status).toBe('completed');
  });

  it('a not-cancellable scenario refuses even queued requests', async () => {
    const em = await emulator({ queueMs: 5_000, scenario: { faults: [{ kind: 'not-cancellable' }] } });
    const { request_id: id } = await submit(em, { prompt: 'p', image_url: dataUri(await testImage()) });
    const reply = (await (await api(em, 'POST', `/requests/${id}/cancel`)).json()) as CancelReply;
    expect(reply).toEqual({ request_id: id, status: 'in_queue', outcome: 'not_cancellable' });
    expect(em.requestLog().at(-1)?.fault).toBe('not-cancellable');
  });
});
