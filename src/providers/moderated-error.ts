/**
 * A request the provider's safety filter refused (its input or its output was flagged). A remote
 * failure like any other for the run (the node fails with exit 1, its journal entry goes, the
 * next run submits again), but with its own code and a message that says what happened, so a
 * person changes the prompt or the image instead of retrying.
 */
import { RemoteFailedError } from './runcomfy/errors.js';

export class ModeratedError extends RemoteFailedError {
  override readonly code = 'E_MODERATED';

  constructor(
    message: string,
    options: ConstructorParameters<typeof RemoteFailedError>[1] & { readonly provider: string },
  ) {
    super(message, {
      hint:
        `${options.provider}'s safety filter flagged the input image, the prompt or the output; ` +
        'change the prompt or the image (seeds and finished passes are kept)',
      ...options,
    });
  }
}
