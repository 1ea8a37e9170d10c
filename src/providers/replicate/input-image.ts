/**
 * The input image as Replicate takes it (the model table says: an http(s) URL, or a data URI up
 * to a size cap, of a kind its schema lists). A larger inline image is refused before anything is
 * sent, pointing at hosting: with `hosting:` (s3 or a command) local files travel by URL instead;
 * so is one of another kind (an AVIF: models/input-kinds.ts).
 */
import { ExitCode, KontextError } from '../../errors.js';
import { kindName, refusedInputKind } from '../../models/input-kinds.js';
import type { ModelEntry } from '../../models/types.js';

/** Decoded bytes of a base64 `data:` URI (an estimate from its length; exact enough for a cap). */
function dataUriBytes(uri: string): number {
  const comma = uri.indexOf(',');
  const payload = comma >= 0 ? uri.length - comma - 1 : uri.length;
  return Math.floor((payload * 3) / 4);
}

/**
 * Refused here, before anything is sent: `notAccepted` lets the run clear the node's intent
 * (src/run/submit-claim.ts) rather than keep it as maybe paid and stop the next run on it.
 */
class NotSentError extends KontextError {
  readonly notAccepted = true;
}

export function checkInlineImage(entry: ModelEntry, image: string): void {
  if (/^https?:\/\//i.test(image)) return;
  const accepts = entry.image.accepts;
  if (!image.startsWith('data:') || !accepts.includes('data-uri')) {
    throw new NotSentError('E_IMAGE_FORM', `${entry.provider} takes the input image as a URL or a data: URI only`, {
      exitCode: ExitCode.DATA_ERR,
      hint: 'configure `hosting:` (s3 or command) so local files are passed by URL',
    });
  }
  const mediaType = /^data:([^;,]+)/i.exec(image)?.[1] ?? '';
  const refused = refusedInputKind(entry, mediaType);
  if (refused !== null) {
    throw new NotSentError('E_IMAGE_KIND', `the input image is ${kindName(mediaType)}; ${refused}`, {
      exitCode: ExitCode.DATA_ERR,
      hint: 'convert it to PNG or JPEG, or run this pass on another provider',
    });
  }
  const cap = entry.image.inlineMaxBytes;
  const bytes = dataUriBytes(image);
  if (cap !== null && bytes > cap) {
    const mb = (n: number): string => `${(n / 1e6).toFixed(1)} MB`;
    throw new NotSentError(
      'E_IMAGE_TOO_LARGE',
      `the input image is ${mb(bytes)} inline; ${entry.title} takes inline images up to ${mb(cap)}`,
      {
        exitCode: ExitCode.DATA_ERR,
        hint: 'configure `hosting:` (s3 or command) in the recipe or your user config, so the image is passed by URL',
      },
    );
  }
}
