/** The one place the prompt is normalised: keys and records ignore its Unicode form and surrounding whitespace. */
import { describe, expect, it } from 'vitest';
import type { PlanNode } from '../../../src/plan/types.js';
import { editRequestFor, keyFor, normalizedPrompt } from '../../../src/run/node-request.js';

const node = (prompt: string): PlanNode =>
  ({
    id: 'sign',
    pass: 'sign',
    model: 'blackforestlabs/flux-1-kontext/pro/edit',
    prompt,
    aspectRatio: '3:4',
    params: {},
  }) as unknown as PlanNode;

describe('node-request', () => {
  it('ignores Unicode normalization form and surrounding whitespace in the prompt', () => {
    const composed = node('Make the café sign red');
    const decomposed = node('  Make the cafe\u0301 sign red\n');
    expect(decomposed.prompt).not.toBe(composed.prompt);
    expect(keyFor(decomposed, 'runcomfy', 'a'.repeat(64), 42)).toBe(keyFor(composed, 'runcomfy', 'a'.repeat(64), 42));
    expect(normalizedPrompt(decomposed)).toBe('Make the café sign red');
  });

  it('a different prompt is a different key', () => {
    expect(keyFor(node('Make the sign blue'), 'runcomfy', 'a'.repeat(64), 42)).not.toBe(
      keyFor(node('Make the sign red'), 'runcomfy', 'a'.repeat(64), 42),
    );
  });

  it('submits the prompt as written, with aspect ratio and seed', () => {
    const req = editRequestFor(node(' Make the sign red\n'), { imageUrl: 'https://example.com/a.png', seed: 7 });
    expect(req).toEqual({
      model: 'blackforestlabs/flux-1-kontext/pro/edit',
      prompt: ' Make the sign red\n',
      imageUrl: 'https://example.com/a.png',
      seed: 7,
      aspectRatio: '3:4',
      params: {},
    });
  });
});
