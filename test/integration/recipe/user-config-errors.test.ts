/**
 * A broken user config (`config.json`) is named at its file:line:col with a plain sentence, as a
 * lock or an emulator scenario file is: invalid JSON at its line (not JSON.parse's "at position
 * 47"), a missing key at the object that lacks it (not zod's "expected string, received undefined").
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadUserConfig } from '../../../src/recipe/user-config.js';
import { createRuntime } from '../../../src/runtime.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'kontext-user-config-'));
});
afterEach(() => rm(dir, { recursive: true, force: true }));

async function failure(text: string): Promise<{ message: string; location?: unknown; hint?: string }> {
  await writeFile(join(dir, 'config.json'), text);
  const rt = createRuntime({ cwd: dir, env: { KONTEXT_CONFIG_DIR: dir } });
  return loadUserConfig(rt).then(
    () => {
      throw new Error('expected the config to be refused');
    },
    (e: unknown) => e as { message: string; location?: unknown; hint?: string },
  );
}

describe('a broken user config', () => {
  it.each([
    // A trailing comma: JSON.parse says only "at position 36".
    ['{\n  "hosting": {\n    "mode": "s3",\n  }\n}\n', 4, 3, 'not valid JSON: expected a property name, found "}"'],
    ['{\n  "hosting": {\n    "mode": "s3"\n  }\n}\n', 2, 3, 'hosting: required key "bucket" is missing'],
    ['{\n  "hostng": {}\n}\n', 2, 3, 'unknown key "hostng" (did you mean "hosting"?)'],
    ['{\n  "cache": { "remote": 5 }\n}\n', 2, 14, 'cache.remote: must be a string, not 5'],
    // At the element itself (the key's position, 3, before locatePath walked into arrays).
    ['{\n  "allowed_source_roots": [""]\n}\n', 2, 28, 'allowed_source_roots[0]: must not be empty'],
    // JSON.parse keeps the later value; the earlier was silently dropped, and errors pointed at it (review-i).
    [
      '{\n  "hosting": { "mode": "inline" },\n  "hosting": 3\n}\n',
      3,
      3,
      'key "hosting" appears twice (first at line 2)',
    ],
    [
      '{\n  "hosting": { "mode": "s3", "mode": "inline" }\n}\n',
      2,
      30,
      'hosting: key "mode" appears twice (first at line 2)',
    ],
  ])('%j → line %i:%i, %s', async (text, line, col, what) => {
    const e = await failure(text);
    const file = join(dir, 'config.json');
    expect(e).toMatchObject({ code: 'E_USER_CONFIG', exitCode: 65, location: { file, line, col } });
    expect(e.message).toBe(`${file}:${line}:${col}: ${what}`);
    expect(e.message).not.toMatch(/position|Invalid input|received undefined/);
    expect(e.hint).toMatch(/config\.json/);
  });
});
