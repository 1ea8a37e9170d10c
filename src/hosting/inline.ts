/**
 * `inline`: the image travels inside the request as a `data:` URI. Nothing is uploaded or
 * cached, and the URL never expires. (Whether RunComfy accepts data URIs is unconfirmed —
 * docs/architecture.md#the-runcomfy-api — so this suits the emulator and small images best.)
 */
import { assertHostablePath, previewMediaType, previewSize, readHostableFile } from './guard.js';
import { inlinePreview } from './preview.js';
import type { HostableImage, HostedUrl, Hosting, HostingPreview, UrlForOptions } from './types.js';

/** Length of `data:<type>;base64,<payload>` for `bytes` bytes, without building it. */
function dataUriLength(mediaType: string, bytes: number): number {
  return `data:${mediaType};base64,`.length + 4 * Math.ceil(bytes / 3);
}

export function createInlineHosting(roots: readonly string[]): Hosting {
  return {
    mode: 'inline',
    async urlFor(image: HostableImage, options: UrlForOptions = {}): Promise<HostedUrl> {
      assertHostablePath(image.path, roots);
      // Labelled by its bytes (guard.ts), not its name: a JPEG named .png travels as image/jpeg.
      const { body, mediaType } = await readHostableFile(image, options.signal);
      const url = `data:${mediaType};base64,${body.toString('base64')}`;
      return { url, expiresAt: null, uploaded: false, bytesUploaded: 0, via: 'inline' };
    },
    async describe(image: HostableImage): Promise<HostingPreview> {
      assertHostablePath(image.path, roots);
      const mediaType = (await previewMediaType(image.path)) ?? 'application/octet-stream';
      return inlinePreview(dataUriLength(mediaType, await previewSize(image)));
    },
  };
}
