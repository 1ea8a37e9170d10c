/** Each host's result JSON → output URLs and seed; the request body a client sends; output formats. */
import { describe, expect, it } from 'vitest';
import { BFL_KONTEXT_PRO } from '../../../src/models/bfl/kontext-pro.js';
import { FAL_KONTEXT_PRO } from '../../../src/models/fal/kontext-pro.js';
import { expectedOutputFormat, extensionOf } from '../../../src/models/output-format.js';
import { buildInput } from '../../../src/models/params.js';
import { REPLICATE_KONTEXT_PRO } from '../../../src/models/replicate/kontext-pro.js';
import { RUNCOMFY_KONTEXT_PRO } from '../../../src/models/runcomfy/kontext-pro.js';
import { KontextError } from '../../../src/errors.js';

describe('readResult', () => {
  it('BFL: result.sample and result.seed', () => {
    const ready = { id: 'x', status: 'Ready', result: { sample: 'https://delivery-eu1.bfl.ai/r/s.png', seed: 42 } };
    expect(BFL_KONTEXT_PRO.readResult(ready)).toEqual({
      outputUrls: ['https://delivery-eu1.bfl.ai/r/s.png'],
      seed: 42,
    });
    expect(BFL_KONTEXT_PRO.readResult({ status: 'Error', result: null })).toEqual({ outputUrls: [] });
    expect(BFL_KONTEXT_PRO.readResult({ result: { sample: 7, seed: -1 } })).toEqual({ outputUrls: [] });
  });

  it('fal: images[].url and seed', () => {
    const done = {
      images: [{ url: 'https://v3.fal.media/a.jpg' }, { nope: 1 }, { url: 'https://v3.fal.media/b.jpg' }],
    };
    expect(FAL_KONTEXT_PRO.readResult({ ...done, seed: 7 })).toEqual({
      outputUrls: ['https://v3.fal.media/a.jpg', 'https://v3.fal.media/b.jpg'],
      seed: 7,
    });
    expect(FAL_KONTEXT_PRO.readResult({ images: 'https://x' }).outputUrls).toEqual([]);
    expect(FAL_KONTEXT_PRO.readResult({ seed: 1.5 })).toEqual({ outputUrls: [] });
  });

  it('Replicate: output is one URL string; no seed', () => {
    const done = { status: 'succeeded', input: { seed: 3 }, output: 'https://replicate.delivery/x/out.png' };
    expect(REPLICATE_KONTEXT_PRO.readResult(done)).toEqual({ outputUrls: ['https://replicate.delivery/x/out.png'] });
    expect(REPLICATE_KONTEXT_PRO.readResult({ output: null }).outputUrls).toEqual([]);
  });

  it('RunComfy: every URL inside output ({image} or {images: []}), never outside it', () => {
    const a = { output: { image: 'https://a.runcomfy.net/1.png' }, status_url: 'https://model-api.runcomfy.net/s' };
    expect(RUNCOMFY_KONTEXT_PRO.readResult(a)).toEqual({ outputUrls: ['https://a.runcomfy.net/1.png'] });
    const b = { output: { images: ['https://a.runcomfy.net/1.png', 'ftp://x', 'https://a.runcomfy.net/1.png'] } };
    expect(RUNCOMFY_KONTEXT_PRO.readResult(b)).toEqual({ outputUrls: ['https://a.runcomfy.net/1.png'] });
  });
});

describe('buildInput', () => {
  const edit = { prompt: 'p', image: 'https://in/x.png', seed: 5, aspectRatio: '16:9' };

  it('uses the host field names and applies the defaults', () => {
    expect(buildInput(BFL_KONTEXT_PRO, edit)).toEqual({
      prompt: 'p',
      input_image: 'https://in/x.png',
      seed: 5,
      aspect_ratio: '16:9',
      output_format: 'png',
      prompt_upsampling: false,
      safety_tolerance: 2,
    });
    expect(buildInput(FAL_KONTEXT_PRO, { ...edit, params: { output_format: 'png' } })).toMatchObject({
      image_url: 'https://in/x.png',
      output_format: 'png',
      safety_tolerance: '2',
      num_images: 1,
    });
  });

  it('RunComfy sends only what the recipe asked for', () => {
    expect(buildInput(RUNCOMFY_KONTEXT_PRO, { prompt: 'p', image: 'data:image/png;base64,AA' })).toEqual({
      prompt: 'p',
      image_url: 'data:image/png;base64,AA',
    });
  });

  it('Replicate: no aspect ratio means match_input_image', () => {
    expect(buildInput(REPLICATE_KONTEXT_PRO, { prompt: 'p', image: 'https://i' })['aspect_ratio']).toBe(
      'match_input_image',
    );
  });

  it('params cannot overwrite the prompt or image, and bad params throw exit 65', () => {
    expect(() => buildInput(BFL_KONTEXT_PRO, { ...edit, params: { prompt: 'other' } })).toThrow(
      /unknown param "prompt"/,
    );
    try {
      buildInput(FAL_KONTEXT_PRO, { ...edit, params: { num_images: 4 } });
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(KontextError);
      expect((e as KontextError).exitCode).toBe(65);
    }
  });
});

describe('output format', () => {
  it('from params, else the host default; jpeg is saved as .jpg', () => {
    expect(expectedOutputFormat(BFL_KONTEXT_PRO, {})).toBe('png');
    expect(expectedOutputFormat(FAL_KONTEXT_PRO, {})).toBe('jpeg');
    expect(expectedOutputFormat(REPLICATE_KONTEXT_PRO, { output_format: 'jpg' })).toBe('jpeg');
    expect(expectedOutputFormat(RUNCOMFY_KONTEXT_PRO, {})).toBeNull();
    expect(expectedOutputFormat(RUNCOMFY_KONTEXT_PRO, { output_format: 'webp' })).toBe('webp');
    expect(expectedOutputFormat(undefined, { output_format: 'jpeg' })).toBeNull();
    expect(extensionOf('jpeg')).toBe('jpg');
    expect(extensionOf('png')).toBe('png');
  });
});
