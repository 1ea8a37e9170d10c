/** The saved extension follows the bytes (jpeg → .jpg); a format other than the one asked for is reported. */
import { describe, expect, it } from 'vitest';
import { outputFormatMismatch } from '../../../src/run/output-format-check.js';
import { extensionFor } from '../../../src/run/outputs.js';

const PRO = 'blackforestlabs/flux-1-kontext/pro/edit';

describe('output format', () => {
  it('a JPEG is saved as .jpg whatever the URL says', () => {
    expect(extensionFor('image/jpeg', 'https://x.test/out.png')).toEqual({ ext: 'jpg', mediaType: 'image/jpeg' });
  });

  it('agreeing formats say nothing; defaults count (fal: jpeg, BFL: png)', () => {
    const jpg = { mediaType: 'image/jpeg', ext: 'jpg' };
    const png = { mediaType: 'image/png', ext: 'png' };
    expect(outputFormatMismatch({ model: PRO, params: {} }, 'fal', jpg)).toBeNull();
    expect(outputFormatMismatch({ model: PRO, params: {} }, 'bfl', png)).toBeNull();
    expect(outputFormatMismatch({ model: PRO, params: { output_format: 'jpg' } }, 'replicate', jpg)).toBeNull();
    expect(outputFormatMismatch({ model: PRO, params: {} }, 'fal', png)).toBe(
      'asked fal for jpeg output but got image/png; saved as .png',
    );
  });

  it('nothing asked (RunComfy default), a catalog model or an unknown provider: no warning', () => {
    const webp = { mediaType: 'image/webp', ext: 'webp' };
    expect(outputFormatMismatch({ model: PRO, params: {} }, 'runcomfy', webp)).toBeNull();
    expect(
      outputFormatMismatch({ model: 'acme/x/edit', params: { output_format: 'png' } }, 'runcomfy', webp),
    ).toBeNull();
    expect(outputFormatMismatch({ model: PRO, params: {} }, 'toString', webp)).toBeNull();
  });
});
