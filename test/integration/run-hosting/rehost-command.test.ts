/**
 * A hosting command whose URL the API cannot fetch: re-hosting runs the command again, and the
 * request is sent again only when that gives another URL. The same URL again would be a second
 * paid request failing the same way (walk-c F3: two accepted requests, `spent $0.08`).
 */
import { describe, expect, it } from 'vitest';
import { failures, submittedUrls, summaryOf, type Project } from './harness.js';
import { commandCalls, type ServedCommand, useServedCommand, useUploadScript } from './served-command.js';

/** Prints a URL on a closed port (nothing there to fetch), each time the same. */
const DEAD_URL = `#!/bin/sh
echo "$KONTEXT_SHA256" >> "$UPLOAD_LOG"
echo "$CLOSED_BASE_URL/never-uploaded-$KONTEXT_SHA256.$KONTEXT_EXT"
`;

/** The first call for an image prints a dead URL; the next really uploads and prints another. */
const DEAD_THEN_LIVE = `#!/bin/sh
set -eu
if grep -q "$KONTEXT_SHA256" "$UPLOAD_LOG" 2>/dev/null; then
  cp "$KONTEXT_FILE" "$SERVE_DIR/$KONTEXT_SHA256.$KONTEXT_EXT"
  echo "$KONTEXT_SHA256" >> "$UPLOAD_LOG"
  echo "$SERVE_BASE_URL/$KONTEXT_SHA256.$KONTEXT_EXT"
else
  echo "$KONTEXT_SHA256" >> "$UPLOAD_LOG"
  echo "$CLOSED_BASE_URL/never-uploaded-$KONTEXT_SHA256.$KONTEXT_EXT"
fi
`;

/** Prints another dead URL at each call. */
const DEAD_EACH_TIME = `#!/bin/sh
echo "$KONTEXT_SHA256" >> "$UPLOAD_LOG"
echo "$CLOSED_BASE_URL/never-uploaded-$(wc -l < "$UPLOAD_LOG" | tr -d ' ').$KONTEXT_EXT"
`;

/** Uploads and prints the URL it serves. */
const LIVE = `#!/bin/sh
cp "$KONTEXT_FILE" "$SERVE_DIR/$KONTEXT_SHA256.$KONTEXT_EXT"
echo "$KONTEXT_SHA256" >> "$UPLOAD_LOG"
echo "$SERVE_BASE_URL/$KONTEXT_SHA256.$KONTEXT_EXT"
`;

/** Uploads, then prints the URL with more after it on the same line. */
const URL_AND_MORE = `#!/bin/sh
cp "$KONTEXT_FILE" "$SERVE_DIR/$KONTEXT_SHA256.$KONTEXT_EXT"
echo "$KONTEXT_SHA256" >> "$UPLOAD_LOG"
echo "$SERVE_BASE_URL/$KONTEXT_SHA256.$KONTEXT_EXT (uploaded in 0.2 s)"
`;

let project: Project;
let fx: ServedCommand;
useServedCommand((s) => {
  fx = s;
  project = s.project;
});
const useScript = (text: string): Promise<void> => useUploadScript(fx, text);
const accepted = (p: Project) => p.submits().filter((s) => s.accepted === true);

describe('a hosting command URL the API cannot fetch', () => {
  it('a URL line with more after it is refused, exit 65, before any submit (walk-af 7)', async () => {
    await useScript(URL_AND_MORE);
    const run = await project.run({ options: { trustHostingCommand: true, keepGoing: true } });
    expect(summaryOf(run).exitCode).toBe(65);
    expect(project.submits()).toEqual([]);
    const codes = run.events.flatMap((e) => (e.type === 'node-failed' ? [e.code] : []));
    expect(codes).toContain('E_HOSTING_COMMAND_OUTPUT');
    expect(failures(run).join('\n')).toMatch(
      /only the URL on its last line of output; after "http:[^"]+" it printed " \(uploaded in 0\.2 s\)"/,
    );
  });
});

describe('a hosted URL the API could not fetch is not kept (walk-af 4)', () => {
  for (const [name, dead] of [
    ['the same URL again', DEAD_URL],
    ['another dead URL', DEAD_EACH_TIME],
  ] as const) {
    it(`re-hosting gave ${name}: the next run hosts anew, the fixed command runs, nothing is paid twice`, async () => {
      await useScript(dead);
      const failed = await project.run({ options: { trustHostingCommand: true, keepGoing: true } });
      expect(summaryOf(failed).exitCode).toBe(1);
      const paid = accepted(project).length;
      const calls = await commandCalls(fx);
      await useScript(LIVE);
      const fixed = await project.run({ options: { trustHostingCommand: true } });
      expect(failures(fixed)).toEqual([]);
      expect(summaryOf(fixed)).toMatchObject({ exitCode: 0, done: 5 });
      // The three hosted images hosted again (no dead URL reused from the record), each paid once.
      expect(await commandCalls(fx)).toBe(calls + 3);
      expect(accepted(project)).toHaveLength(paid + 5);
      expect(fixed.events.filter((e) => e.type === 'warning')).toEqual([]);
    });
  }
});

describe('re-hosting with a hosting command', () => {
  it('the same URL again is not sent again: one paid request per node, the first failure said', async () => {
    await useScript(DEAD_URL);
    const run = await project.run({ options: { trustHostingCommand: true, keepGoing: true } });
    expect(summaryOf(run).exitCode).toBe(1);
    // Three nodes host a local image (background, label@cat, label@coffee): each paid once.
    expect(accepted(project)).toHaveLength(3);
    expect(new Set(submittedUrls(project).map((u) => u.url)).size).toBe(3);
    // The command did run again (it may have given another URL).
    expect(await commandCalls(fx)).toBe(6);
    // kontext's own look at each URL found nothing listening: told, and the API asked all the same.
    const warnings = run.events.flatMap((e) => (e.type === 'warning' ? [e.message] : []));
    expect(warnings.filter((w) => /could not check what the hosting command's URL \S+ serves/.test(w))).toHaveLength(6);
    const failed = run.events.filter((e) => e.type === 'node-failed' && e.code === 'E_REMOTE_FAILED');
    expect(failed).toHaveLength(3);
    for (const f of failed) {
      if (f.type !== 'node-failed') continue;
      expect(f.message).toMatch(/could not fetch image_url .*never-uploaded-.*: fetch failed/);
      expect(f.hint).toMatch(/hosting it again gave nothing new \(the same URL, or the same S3 object/);
    }
  });

  it('another URL from the command is sent: retried once, and it works', async () => {
    await useScript(DEAD_THEN_LIVE);
    const run = await project.run({ options: { trustHostingCommand: true } });
    expect(failures(run)).toEqual([]);
    expect(summaryOf(run)).toMatchObject({ exitCode: 0, done: 5 });
    // Each of the three hosted nodes: the dead URL, then the live one; the chain passes URLs on.
    expect(accepted(project)).toHaveLength(8);
    expect(await commandCalls(fx)).toBe(6);
  });
});
