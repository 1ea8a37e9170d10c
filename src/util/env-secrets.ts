/**
 * The secret values an S3 call's messages are scrubbed of, found in the environment: the AWS
 * credentials, and the passwords of the proxies (util/proxy.ts). S3 hosting and the remote cache
 * share it; each adds what its own credential chain resolved.
 */
import { proxySecretsIn } from './proxy.js';

export function awsSecretsIn(env: Readonly<Record<string, string | undefined>>): string[] {
  return [
    env['AWS_SECRET_ACCESS_KEY'],
    env['AWS_SESSION_TOKEN'],
    env['AWS_ACCESS_KEY_ID'],
    ...proxySecretsIn(env),
  ].filter((v): v is string => typeof v === 'string' && v !== '');
}
