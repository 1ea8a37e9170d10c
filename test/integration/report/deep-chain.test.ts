/**
 * A chain of thousands of passes: the report's columns were laid out by a recursive walk of the
 * pass tree, and a 5,000-pass chain's `kontext report` exited 70 with "Maximum call stack size
 * exceeded" (validate, plan and status were fine). Nothing is run: the report of a plan alone
 * lays out every column.
 */
import { readFile } from 'node:fs/promises';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { main } from '../../../src/cli/main.js';
import { writeReport } from '../../../src/index.js';
import { createProject, recipeYaml, testRuntime, type Project } from '../../helpers/run-fixtures.js';

const DEPTH = 6000;
let project: Project;
beforeEach(async () => {
  project = await createProject(recipeYaml(Array.from({ length: DEPTH }, (_, i) => [`p${i}`, `hi ${i}`] as const)));
});
afterEach(async () => {
  await project.cleanup();
});

describe('the report of a very long chain', () => {
  it('writes a page with one column per pass, in chain order', async () => {
    const rt = testRuntime(project.root);
    const code = await main(['report', project.recipe, '--json'], { rt });
    expect(code, rt.stderr.text()).toBe(0);
    const { index } = JSON.parse(rt.stdout.text()) as { index: string };
    expect(await readFile(index, 'utf8')).toContain(`p${DEPTH - 1}`);
    const { data } = await writeReport(project.recipe, {}, { rt: testRuntime(project.root) });
    expect(data.passes).toHaveLength(DEPTH);
    expect(data.passes[DEPTH - 1]).toMatchObject({ id: `p${DEPTH - 1}`, depth: DEPTH, from: `p${DEPTH - 2}` });
  }, 120_000);
});
