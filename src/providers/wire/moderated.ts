/**
 * A request the provider's safety filter refused (BFL `Request Moderated` / `Content Moderated`,
 * fal `content_policy_violation`): a node failure of its own (`E_MODERATED`, exit 1), not a
 * generic remote failure, so a person knows to change the prompt or the image rather than retry.
 */
import { RemoteFailedError } from '../runcomfy/errors.js';

export class ModeratedError extends RemoteFailedError {
  override readonly name: string = 'ModeratedError';
  constructor(message: string, options: ConstructorParameters<typeof RemoteFailedError>[1] = {}) {
    super(message, {
      hint: "the provider's safety filter flagged the input or the output; change the prompt or the image",
      ...options,
      code: 'E_MODERATED',
    });
  }
}
