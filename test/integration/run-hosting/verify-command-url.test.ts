/**
 * What a hosting command's URL serves is looked at before the API is paid to fetch it (walk-af 3):
 * a script printing another image's URL had that image edited and the result cached under this
 * image's sha256, for every recipe sharing the cache. Real scripts, a local static server as the
 * "bucket", the emulator as the API (private URLs allowed: the API is local).
 */
import { copyFile, readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeEach, describe, expect, it } from 'vitest';
import { until } from '../../helpers/run-fixtures.js';
import { failures, summaryOf, type Project } from './harness.js';
import { recipeYaml } from './recipe.js';
import { type ServedCommand, useServedCommand, useUploadScript } from './served-command.js';
import type { StaticServer } from './static-server.js';

const ROCKET = fileURLToPath(new URL('../../../recipes/examples/assets/scene-rocket.jpg', import.meta.url));

/** Uploads its file, then prints the URL of another image (the rocket) by mistake. */
const OTHER_IMAGE = `#!/bin/sh
cp "$KONTEXT_FILE" "$SERVE_DIR/$KONTEXT_SHA256.$KONTEXT_EXT"
echo "$KONTEXT_SHA256" >> "$UPLOAD_LOG"
echo "$SERVE_BASE_URL/rocket.jpg"
`;

/** Prints a URL it never uploaded to: a 404. */
const NOT_FOUND = `#!/bin/sh
echo "$KONTEXT_SHA256" >> "$UPLOAD_LOG"
echo "$SERVE_BASE_URL/never-uploaded-$KONTEXT_SHA256.$KONTEXT_EXT"
`;

/** Prints a URL on a port nothing listens on: neither this machine nor the API can fetch it. */
const CLOSED_PORT = `#!/bin/sh
echo "$KONTEXT_SHA256" >> "$UPLOAD_LOG"
echo "$CLOSED_BASE_URL/$KONTEXT_SHA256.$KONTEXT_EXT"
`;

const LIVE = `#!/bin/sh
cp "$KONTEXT_FILE" "$SERVE_DIR/$KONTEXT_SHA256.$KONTEXT_EXT"
echo "$KONTEXT_SHA256" >> "$UPLOAD_LOG"
echo "$SERVE_BASE_URL/$KONTEXT_SHA256.$KONTEXT_EXT"
`;

let served: string;
let web: StaticServer;
let project: Project;
let fx: ServedCommand;
useServedCommand((s) => {
  fx = s;
  ({ served, web, project } = s);
});
beforeEach(() => copyFile(ROCKET, join(served, 'rocket.jpg')));
const useScript = (text: string): Promise<void> => useUploadScript(fx, text);

/** The hosted-URL records in the cache dir, by file name, parsed. */
async function hostedRecords(): Promise<Record<string, unknown>[]> {
  const root = join(project.cacheDir, 'hosted');
  const folders = await readdir(root).catch(() => [] as string[]);
  const records: Record<string, unknown>[] = [];
  for (const f of folders)
    for (const name of await readdir(join(root, f)))
      records.push(JSON.parse(await readFile(join(root, f, name), 'utf8')) as Record<string, unknown>);
  return records;
}

const trusted = { trustHostingCommand: true, keepGoing: true } as const;

describe("a hosting command's URL is checked before any submit (walk-af 3)", () => {
  it("another image's URL: exit 65, nothing submitted, nothing cached; an inline run then pays", async () => {
    await useScript(OTHER_IMAGE);
    const run = await project.run({ options: trusted });
    expect(summaryOf(run).exitCode).toBe(65);
    expect(project.submits()).toEqual([]);
    const codes = run.events.flatMap((e) => (e.type === 'node-failed' ? [e.code] : []));
    expect(codes).toEqual(['E_HOSTING_COMMAND_OUTPUT', 'E_HOSTING_COMMAND_OUTPUT', 'E_HOSTING_COMMAND_OUTPUT']);
    expect(failures(run).join('\n')).toMatch(
      /other bytes than the image it was given: http:\/\/127\.0\.0\.1:\d+\/files\/rocket\.jpg serves image\/jpeg, /,
    );
    expect(await hostedRecords()).toEqual([]);

    // The same sources, prompts and seeds inlined: nothing of the rocket in the cache to hand out.
    await project.writeRecipe(recipeYaml({ hosting: { mode: 'inline' } }));
    const inline = await project.run();
    expect(summaryOf(inline)).toMatchObject({ exitCode: 0, submitted: 5, cached: 0 });
  });

  it('a URL that answers 404: exit 65 before any submit', async () => {
    await useScript(NOT_FOUND);
    const run = await project.run({ options: trusted });
    expect(summaryOf(run).exitCode).toBe(65);
    expect(project.submits()).toEqual([]);
    expect(failures(run).join('\n')).toMatch(
      /printed a URL that answers HTTP 404: http:\/\/127\.0\.0\.1:\d+\/files\/never-uploaded-\S+ gives the API no/,
    );
    expect(await hostedRecords()).toEqual([]);
  });

  it('a URL this machine cannot reach: a warning, then the API tries it and fails as before', async () => {
    await useScript(CLOSED_PORT);
    const run = await project.run({ options: trusted });
    const warnings = run.events.flatMap((e) => (e.type === 'warning' ? [e.message] : []));
    expect(
      warnings.filter((w) => /could not check what the hosting command's URL http:\S+ serves \(/.test(w)),
    ).not.toEqual([]);
    expect(warnings.join('\n')).toMatch(/ECONNREFUSED/);
    expect(summaryOf(run).exitCode).toBe(1);
    expect(project.submits().length).toBeGreaterThanOrEqual(3);
    const codes = run.events.flatMap((e) => (e.type === 'node-failed' ? [e.code] : []));
    expect(codes).toContain('E_REMOTE_FAILED');
  });

  it('the right URL: checked, recorded as verified, and the run goes as ever', async () => {
    await useScript(LIVE);
    const run = await project.run({ options: { trustHostingCommand: true } });
    expect(failures(run)).toEqual([]);
    expect(summaryOf(run)).toMatchObject({ exitCode: 0, done: 5, submitted: 5 });
    expect(run.events.filter((e) => e.type === 'warning')).toEqual([]);
    const records = await hostedRecords();
    expect(records).toHaveLength(3);
    expect(records.every((r) => r['verified'] === true)).toBe(true);
    // Each image fetched twice: once by kontext's check, once by the API.
    const served200 = () => web.requests.filter((r) => r.status === 200);
    await until(() => served200().length >= 6, 5_000, 'six image GETs logged');
    expect(served200()).toHaveLength(6);
  });
});
