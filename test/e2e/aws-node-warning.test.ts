/**
 * On Node 20 the AWS SDK's first client prints `NodeVersionSupportWarning` (its 2027 releases need
 * Node 22) to stderr. The CLI turns that off for its process (cli/launch.ts); a library embedder's
 * stderr got it from the first S3 client kontext built (S3 hosting, the remote cache), though the
 * library never prints. It is off now just while kontext builds a client, `process.env` left as it
 * was; an embedder who sets the switch, either way, has it as set.
 */
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { cliEnv } from '../helpers/cli-spawn.js';
import { project, tempDir } from '../helpers/e2e-kit.js';
import { REPO_ROOT } from '../helpers/run-fixtures.js';

const run = promisify(execFile);
const SWITCH = 'AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED';

const RECIPE = [
  'version: 1',
  'name: portrait',
  'provider: emulator',
  'sources: { astronaut: assets/portrait-astronaut.jpg }',
  'passes:',
  '  - { id: background, prompt: "Replace the background with a rainy street", seed: 1 }',
  '',
].join('\n');

/**
 * `recipeStatus` with a remote cache and no keys in the environment: the SDK's client is built for
 * its credential chain (which finds nothing: a temp HOME, the instance metadata off; the endpoint is
 * loopback, where nothing listens). Prints whether `process.env` came out as it went in, and the
 * switch as the embedder sees it after.
 */
const CHILD = `
const k = await import('kontext');
const before = JSON.stringify(process.env);
const rt = k.createRuntime({ env: { ...process.env, KONTEXT_REMOTE_CACHE: 's3://kontext-test/team',
  AWS_ENDPOINT_URL_S3: 'http://127.0.0.1:9' } });
const warned = [];
const status = await k.recipeStatus(process.argv[1], {}, { rt, onWarning: (m) => warned.push(m) });
await new Promise((r) => setTimeout(r, 100)); // process.emitWarning writes on a later tick
console.log(JSON.stringify({ nodes: status.nodes.length, warned: warned.length > 0,
  envSame: JSON.stringify(process.env) === before, after: process.env.${SWITCH} ?? null }));
`;

async function child(extra: Record<string, string>): Promise<{ stdout: string; stderr: string }> {
  const home = await tempDir('aws-warning');
  const root = await project(RECIPE);
  const env = cliEnv(join(home, 'home'), { AWS_EC2_METADATA_DISABLED: 'true', ...extra });
  return run(process.execPath, ['--input-type=module', '-e', CHILD, join(root, 'recipe.yml')], { cwd: REPO_ROOT, env });
}

describe('the AWS SDK’s Node-version warning in an embedder', () => {
  it.runIf(Number(process.versions.node.split('.')[0]) < 22)(
    'the library builds its S3 client without it: stderr empty, process.env as it was',
    async () => {
      const quiet = await child({});
      expect(quiet.stderr).toBe('');
      // The remote was asked (an S3 client was built), and the environment is the embedder's still.
      expect(JSON.parse(quiet.stdout)).toEqual({ nodes: 1, warned: true, envSame: true, after: null });

      // The embedder's own choice stands: with the switch set to "false" the SDK warns, as it would
      // for the embedder's own client (and so this test sees the warning when it is not kept off).
      const loud = await child({ [SWITCH]: 'false' });
      expect(loud.stderr).toContain('NodeVersionSupportWarning');
      expect(JSON.parse(loud.stdout)).toMatchObject({ envSame: true, after: 'false' });
    },
    60_000,
  );
});
