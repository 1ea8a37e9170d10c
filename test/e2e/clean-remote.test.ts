/**
 * `kontext clean` after a rename on a clone whose results are only in the remote cache (no out/,
 * an empty local cache): a renamed pass below another renamed pass asks on its upstream's output,
 * known only from the remote. Clean resolves through the remote a run would use, as status does,
 * so it keeps both old entries, and the run after pays nothing. Real CLI processes against one
 * emulator and one s3rver.
 */
import { describe, expect, it } from 'vitest';
import { useRemoteE2e } from '../helpers/remote-e2e.js';

const YAML = `version: 1
name: test
provider: runcomfy
hosting: { mode: inline }
sources:
  a: assets/portrait-astronaut.jpg
passes:
  - id: sky
    prompt: Keep the subject unchanged. Replace the background with a rainy street.
  - id: umbrella
    prompt: Keep everything else unchanged. Add an orange umbrella.
`;
const RENAMED = YAML.replace('id: sky', 'id: rain').replace('id: umbrella', 'id: brolly');

const { kontext, submits, project, clone } = useRemoteE2e(YAML, 'clean');

describe('clean through the remote cache', () => {
  it('a renamed chain on a clone: status and clean keep both entries, and the run pays nothing', async () => {
    const a = await project();
    expect((await kontext(a, ['run', 'recipe.yml'])).code).toBe(0);
    const paid = submits();
    const b = await clone(a);
    await b.writeRecipe(RENAMED);
    const status = await kontext(b, ['status', 'recipe.yml', '--json']);
    expect(status.code, status.stderr).toBe(0);
    expect((JSON.parse(status.stdout) as { orphaned: unknown[] }).orphaned).toEqual([]);
    // From local knowledge alone the lower entry's taker is unknown: that dry run would remove it.
    const local = await kontext(b, ['clean', 'recipe.yml', '--json', '--dry-run', '--no-remote']);
    expect(local.code, local.stderr).toBe(0);
    expect((JSON.parse(local.stdout) as { lock_entries: string[] }).lock_entries).toEqual(['umbrella']);
    const clean = await kontext(b, ['clean', 'recipe.yml', '--json']);
    expect(clean.code, clean.stderr).toBe(0);
    const report = JSON.parse(clean.stdout) as { lock_entries: string[]; taken: unknown[] };
    expect(report.lock_entries).toEqual([]);
    expect(report.taken).toEqual([
      { node: 'sky', by: 'rain' },
      { node: 'umbrella', by: 'brolly' },
    ]);
    const run = await kontext(b, ['run', 'recipe.yml']);
    expect(run.code, run.stderr).toBe(0);
    expect(submits()).toBe(paid);
  }, 120_000);
});
