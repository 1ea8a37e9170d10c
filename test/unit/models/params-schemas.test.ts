/** Every model file's params schema: valid values, invalid ones with their reason, defaults. */
import { describe, expect, it } from 'vitest';
import { BFL_KONTEXT_MAX } from '../../../src/models/bfl/kontext-max.js';
import { BFL_KONTEXT_PRO } from '../../../src/models/bfl/kontext-pro.js';
import { FAL_KONTEXT_MAX } from '../../../src/models/fal/kontext-max.js';
import { FAL_KONTEXT_PRO } from '../../../src/models/fal/kontext-pro.js';
import { checkParams } from '../../../src/models/params.js';
import { REPLICATE_KONTEXT_MAX } from '../../../src/models/replicate/kontext-max.js';
import { REPLICATE_KONTEXT_PRO } from '../../../src/models/replicate/kontext-pro.js';
import { RUNCOMFY_KONTEXT_DEV } from '../../../src/models/runcomfy/kontext-dev.js';
import { RUNCOMFY_KONTEXT_MAX } from '../../../src/models/runcomfy/kontext-max.js';
import { RUNCOMFY_KONTEXT_PRO } from '../../../src/models/runcomfy/kontext-pro.js';
import type { ModelEntry } from '../../../src/models/types.js';

interface SchemaCase {
  readonly entries: readonly ModelEntry[];
  readonly defaults: Readonly<Record<string, unknown>>;
  readonly valid: readonly Readonly<Record<string, unknown>>[];
  /** params → a substring of the first issue's message. */
  readonly invalid: readonly (readonly [Readonly<Record<string, unknown>>, string])[];
}

const CASES: Readonly<Record<string, SchemaCase>> = {
  runcomfy: {
    entries: [RUNCOMFY_KONTEXT_PRO, RUNCOMFY_KONTEXT_MAX, RUNCOMFY_KONTEXT_DEV],
    // Unconfirmed on RunComfy: nothing is sent that the recipe did not ask for.
    defaults: {},
    valid: [{ output_format: 'jpeg' }, { safety_tolerance: 6, prompt_upsampling: true }, { output_format: 'webp' }],
    invalid: [
      [{ output_format: 'jpg' }, 'must be one of "jpeg", "png", "webp"'],
      [{ safety_tolerance: 7 }, 'params.safety_tolerance: must be <= 6'],
      [{ guidance: 3.5 }, 'unknown param "guidance"'],
    ],
  },
  bfl: {
    entries: [BFL_KONTEXT_PRO, BFL_KONTEXT_MAX],
    defaults: { output_format: 'png', prompt_upsampling: false, safety_tolerance: 2 },
    valid: [{ output_format: 'webp' }, { safety_tolerance: 0 }, { safety_tolerance: 6, prompt_upsampling: true }],
    invalid: [
      [{ safety_tolerance: 2.5 }, 'params.safety_tolerance'],
      [{ safety_tolerance: -1 }, 'params.safety_tolerance'],
      [{ output_format: 'gif' }, 'must be one of "jpeg", "png", "webp"'],
      [{ prompt_upsampling: 'yes' }, 'params.prompt_upsampling'],
      [{ guidance_scale: 3 }, 'unknown param "guidance_scale"'],
    ],
  },
  fal: {
    entries: [FAL_KONTEXT_PRO, FAL_KONTEXT_MAX],
    defaults: {
      guidance_scale: 3.5,
      num_images: 1,
      output_format: 'jpeg',
      safety_tolerance: '2',
      enhance_prompt: false,
    },
    valid: [{ guidance_scale: 1 }, { guidance_scale: 20, safety_tolerance: '6' }, { output_format: 'png' }],
    invalid: [
      [{ num_images: 2 }, 'use `variants: N`'],
      [{ safety_tolerance: 2 }, 'is a string "1".."6"'],
      [{ safety_tolerance: '7' }, 'is a string "1".."6"'],
      [{ guidance_scale: 21 }, 'params.guidance_scale'],
      [{ guidance_scale: 0.5 }, 'params.guidance_scale'],
      [{ output_format: 'webp' }, 'must be one of "jpeg", "png"'],
      [{ sync_mode: true }, 'unknown param "sync_mode"'],
    ],
  },
  replicate: {
    entries: [REPLICATE_KONTEXT_PRO, REPLICATE_KONTEXT_MAX],
    defaults: { output_format: 'png', safety_tolerance: 2, prompt_upsampling: false },
    valid: [{ output_format: 'jpg' }, { safety_tolerance: 0 }, { prompt_upsampling: true }],
    invalid: [
      [{ output_format: 'jpeg' }, 'must be one of "jpg", "png"'],
      [{ output_format: 'webp' }, 'must be one of "jpg", "png"'],
      [{ safety_tolerance: 3 }, 'at most 2 when an input image is given'],
      [{ steps: 30 }, 'unknown param "steps"'],
    ],
  },
};

describe.each(Object.entries(CASES))('params of %s', (_name, c) => {
  it.each(c.entries.map((e) => [e.endpoint, e] as const))('%s: defaults', (_e, entry) => {
    expect(entry.params.parse({})).toEqual(c.defaults);
  });
  it.each(c.entries.map((e) => [e.endpoint, e] as const))('%s: valid values pass', (_e, entry) => {
    for (const params of c.valid) expect(checkParams(entry, params), JSON.stringify(params)).toEqual([]);
  });
  it.each(c.entries.map((e) => [e.endpoint, e] as const))(
    '%s: invalid values are refused with a reason',
    (_e, entry) => {
      for (const [params, reason] of c.invalid) {
        const issues = checkParams(entry, params);
        expect(issues.length, JSON.stringify(params)).toBeGreaterThan(0);
        expect(issues[0]?.message).toContain(reason);
        expect(issues[0]?.key).toBe(Object.keys(params)[0]);
      }
    },
  );
});

describe('unknown params', () => {
  it('suggest the nearest known key, and list them all', () => {
    const [issue] = checkParams(BFL_KONTEXT_PRO, { safety_tolerence: 3 });
    expect(issue).toMatchObject({ key: 'safety_tolerence', unknownKey: true });
    expect(issue?.hint).toContain('did you mean "safety_tolerance"?');
    expect(issue?.hint).toContain('known: output_format, prompt_upsampling, safety_tolerance');
  });

  it('report every unknown key and every bad value at once', () => {
    const issues = checkParams(RUNCOMFY_KONTEXT_PRO, { output_format: 'tiff', guidance: 3.5, steps: 30 });
    expect(issues.map((i) => [i.key, i.unknownKey])).toEqual(
      expect.arrayContaining([
        ['guidance', true],
        ['steps', true],
        ['output_format', false],
      ]),
    );
    expect(issues).toHaveLength(3);
  });

  it('a key named like an Object.prototype member is just unknown', () => {
    const issues = checkParams(FAL_KONTEXT_PRO, JSON.parse('{"__proto__": 1, "constructor": 2}'));
    expect(issues.map((i) => i.key).sort()).toEqual(['__proto__', 'constructor']);
  });
});
