/**
 * `cache.remote` is checked by `validate` with the rule the run applies (src/util/s3-url.ts): a
 * value the run would refuse (a `..` or `?` in the prefix, say) is an error at its line:col,
 * exit 65, not a pass of `validate` followed by a run that stops at exit 64.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ExitCode } from '../../../src/errors.js';
import { validateRecipe } from '../../../src/recipe/validate.js';
import { parseRemoteUrl } from '../../../src/remote/location.js';
import { createRuntime } from '../../../src/runtime.js';
import { S3_URL_PATTERN } from '../../../src/util/s3-url.js';

let root = '';
beforeAll(async () => {
  root = await mkdtemp(path.join(os.tmpdir(), 'kontext-remote-url-'));
  await mkdir(path.join(root, '.git'));
  await writeFile(path.join(root, 'a.png'), Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
});
afterAll(() => rm(root, { recursive: true, force: true }));

const GOOD = [
  's3://team-cache',
  's3://team-cache/',
  's3://team-cache/kontext',
  's3://a.b-c/x/y.z/=+_-',
  's3://abc//x//',
];
const BAD = [
  's3://team-cache/a/../b',
  's3://team-cache/./b',
  's3://team-cache/..',
  's3://team-cache/a?x=1',
  's3://team-cache/a#b',
  's3://team-cache/a%2Fb',
  's3://team-cache/a b',
  's3://Team-Cache/x',
  's3://ab/x',
  'https://team-cache/x',
  's3://key:secret@team-cache/x',
];

describe('the s3:// rule', () => {
  it.each([...GOOD.map((u) => [u, true] as const), ...BAD.map((u) => [u, false] as const)])(
    '%s: the schema pattern and the run agree (%s)',
    (url, ok) => {
      expect(S3_URL_PATTERN.test(url)).toBe(ok);
      const parsed = (() => {
        try {
          parseRemoteUrl(url, 'cache.remote');
          return true;
        } catch {
          return false;
        }
      })();
      expect(parsed).toBe(ok);
    },
  );

  it('validate refuses a prefix the run would, at the value, exit 65', async () => {
    const text =
      'version: 1\ncache: { remote: "s3://team-cache/a/../b" }\n' +
      'sources:\n  photo: a.png\npasses:\n  - id: a\n    prompt: x\n';
    const rt = createRuntime({ cwd: root, env: {} });
    const r = await validateRecipe(text, {
      displayPath: 'r.yml',
      file: path.join(root, 'r.yml'),
      rt,
      allowedSourceRoots: [],
    });
    expect(r.recipe).toBeNull();
    const errors = r.problems.filter((p) => p.severity === 'error');
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({ exitCode: ExitCode.DATA_ERR, location: { line: 2, col: 18 } });
    expect(errors[0]?.message).toContain('expected s3://<bucket>/<prefix>');
  });
});
