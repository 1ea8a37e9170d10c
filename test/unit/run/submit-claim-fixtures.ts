/** Provider errors as the RunComfy client builds them from replies. */
import { errorFromReply } from '../../../src/providers/runcomfy/map-error.js';

export {
  NetworkError,
  SubmitUncertainError,
  UpstreamUnavailableError,
} from '../../../src/providers/runcomfy/errors.js';

export function errorFromReplyForTest(status: number, errorCode?: number): Error {
  const body = errorCode === undefined ? { error: 'nope' } : { error: 'nope', error_code: errorCode };
  return errorFromReply(status, body, JSON.stringify(body), { call: 'submit', requestId: undefined, secrets: [] });
}
