/**
 * The pure parts of the Replicate client (error classes, prediction words, moderation, the
 * inline-image cap) and the emulator's Replicate wire shapes (held creates, 401/422 bodies,
 * cancel of a running prediction), spoken to with plain HTTP.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmulator, type EmulatorHandle } from '../../../src/emulator/index.js';
import { lookupModel } from '../../../src/models/registry.js';
import { checkInlineImage } from '../../../src/providers/replicate/input-image.js';
import { provesNotAccepted } from '../../../src/run/submit-claim.js';
import { classifyReplicate, replicateErrorFrom } from '../../../src/providers/replicate/map-error.js';
import { isModeration, phaseOf } from '../../../src/providers/replicate/prediction.js';
import { resolveReplicateBase, resolveReplicateToken } from '../../../src/providers/replicate/auth.js';
import { createRuntime } from '../../../src/runtime.js';
import { editRequest } from './replicate-harness.js';

describe('Replicate wire, pure', () => {
  it('maps statuses onto error kinds', () => {
    expect([401, 403, 402, 408, 429, 500, 503, 404, 422].map(classifyReplicate)).toEqual([
      'auth',
      'auth',
      'credit',
      'rate',
      'rate',
      'unavailable',
      'unavailable',
      'input',
      'input',
    ]);
    const e = replicateErrorFrom(422, { title: 'Input validation failed', detail: '- input.seed: bad\n' }, '', {
      call: 'submit',
      secrets: [],
    });
    expect(e.message).toBe('submit: HTTP 422: - input.seed: bad');
  });

  it('reads status words loosely; unknown words keep the wait going', () => {
    const words = ['starting', 'Processing', 'succeeded', 'failed', 'canceled', 'aborted', 'booting', 7];
    expect(words.map((status) => phaseOf({ status }))).toEqual([
      'queued',
      'running',
      'succeeded',
      'failed',
      'canceled',
      'canceled',
      'unknown',
      'unknown',
    ]);
    expect(phaseOf({ status: 'constructor' })).toBe('unknown');
  });

  it('tells the safety filter from other failures', () => {
    expect(isModeration('The input or output was flagged as sensitive. Please try again. (E005)')).toBe(true);
    expect(isModeration('CUDA out of memory')).toBe(false);
  });

  it('refuses an inline image over the table cap and a raw base64 string; URLs pass', () => {
    const entry = lookupModel('replicate', 'flux-kontext-pro');
    if (!entry) throw new Error('no table entry');
    expect(() => checkInlineImage(entry, 'https://example.com/a.png')).not.toThrow();
    expect(() => checkInlineImage(entry, `data:image/png;base64,${'A'.repeat(1000)}`)).not.toThrow();
    expect(() => checkInlineImage(entry, 'iVBORw0KGgo=')).toThrow(/URL or a data: URI/);
    expect(() => checkInlineImage(entry, `data:image/png;base64,${'A'.repeat(9_400_000)}`)).toThrow(/inline/);
    // A kind its schema does not list (jpeg, png, gif, webp): refused before it is sent, exit 65.
    for (const kind of ['webp', 'gif', 'jpeg'])
      expect(() => checkInlineImage(entry, `data:image/${kind};base64,AAAA`)).not.toThrow();
    for (const [type, name] of [
      ['avif', 'AVIF'],
      ['heic', 'HEIC'],
    ]) {
      expect(() => checkInlineImage(entry, `data:image/${type};base64,AAAA`)).toThrow(
        expect.objectContaining({
          code: 'E_IMAGE_KIND',
          exitCode: 65,
          message: `the input image is ${name}; ${entry.title} takes JPEG, PNG, GIF or WebP input images`,
        }),
      );
    }
    // Each refusal is made before anything is sent: the run clears the node's intent (review-v:
    // it stayed "maybe paid" and stopped the next run).
    for (const image of [
      'iVBORw0KGgo=',
      'data:image/avif;base64,AAAA',
      `data:image/png;base64,${'A'.repeat(9_400_000)}`,
    ])
      expect(provesNotAccepted(refusalOf(() => checkInlineImage(entry, image)))).toBe(true);
  });

  it('token and base from the environment; no token is exit 77 before any request', () => {
    const rt = createRuntime({ env: { REPLICATE_API_BASE: ' http://127.0.0.1:9/v1/ ' } });
    expect(resolveReplicateBase(rt)).toBe('http://127.0.0.1:9');
    expect(() => resolveReplicateToken(rt)).toThrow(expect.objectContaining({ exitCode: 77 }));
    expect(resolveReplicateToken(createRuntime({ env: { REPLICATE_API_TOKEN: ' r8_x ' } }))).toBe('r8_x');
  });
});

describe('the emulator speaks Replicate', () => {
  let emulator: EmulatorHandle;
  beforeAll(async () => {
    emulator = await startEmulator({ queueMs: 0, runMs: 400 });
  });
  afterAll(async () => {
    await emulator.close();
  });
  const create = async (headers: Record<string, string>, input: unknown): Promise<Response> =>
    fetch(`${emulator.origin}/v1/models/black-forest-labs/flux-kontext-pro/predictions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: 'Bearer r8_x', ...headers },
      body: JSON.stringify({ input }),
    });

  it('no token: 401 in the RFC-7807 shape', async () => {
    const res = await fetch(`${emulator.origin}/v1/predictions/x`, { headers: {} });
    expect(res.status).toBe(401);
    expect(await res.json()).toMatchObject({ title: 'Unauthenticated', status: 401 });
  });

  it('a bad input: 422 with invalid_fields', async () => {
    const req = await editRequest();
    const res = await create({}, { prompt: 'x', input_image: req.imageUrl, output_format: 'webp' });
    expect(res.status).toBe(422);
    const body = (await res.json()) as { invalid_fields: { field: string }[] };
    expect(body.invalid_fields[0]?.field).toBe('input.output_format');
  });

  it('Prefer: wait holds the create until done; without it the prediction starts', async () => {
    const req = await editRequest();
    const input = { prompt: 'x', input_image: req.imageUrl, seed: 1 };
    const quick = (await (await create({}, input)).json()) as { status: string };
    expect(['starting', 'processing']).toContain(quick.status);
    const held = (await (await create({ prefer: 'wait=5' }, input)).json()) as {
      status: string;
      output: string;
      completed_at: string;
    };
    expect(held.status).toBe('succeeded');
    expect(held.output).toMatch(/\/replicate-delivery\//);
    const short = (await (await create({ prefer: 'wait=1' }, { ...input, seed: 2 })).json()) as { status: string };
    expect(short.status).toBe('succeeded'); // 0.4 s < 1 s
  });

  it('cancel stops a running prediction; its output is never served', async () => {
    const req = await editRequest();
    const started = (await (await create({}, { prompt: 'x', input_image: req.imageUrl, seed: 3 })).json()) as {
      id: string;
    };
    await new Promise((r) => setTimeout(r, 50));
    const cancel = await fetch(`${emulator.origin}/v1/predictions/${started.id}/cancel`, {
      method: 'POST',
      headers: { authorization: 'Bearer r8_x' },
    });
    expect(((await cancel.json()) as { status: string }).status).toBe('canceled');
    await new Promise((r) => setTimeout(r, 500));
    const read = await fetch(`${emulator.origin}/v1/predictions/${started.id}`, {
      headers: { authorization: 'Bearer r8_x' },
    });
    expect(await read.json()).toMatchObject({ status: 'canceled', output: null });
    const file = await fetch(`${emulator.origin}/replicate-delivery/${started.id}/output.png`);
    expect(file.status).toBe(404);
  });
});

/** What `f` throws. */
function refusalOf(f: () => void): unknown {
  try {
    f();
  } catch (e) {
    return e;
  }
  throw new Error('nothing was thrown');
}
