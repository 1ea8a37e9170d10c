/**
 * A review page made from data alone (`renderPage`, no run, no images): for the page's layout and
 * wording in tests that need many rows or a state a run does not easily make. Written to a temp
 * folder and opened from `file://`, as the static report is.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { renderPage } from '../../src/report/html.js';
import type { ReportData, ReportNode } from '../../src/report/types.js';

/** A node of pass `p`, row `r`, not run yet: the fields a test changes laid over it. */
export function nodeOf(id: string, p: number, r: number, over: Partial<ReportNode> = {}): ReportNode {
  return {
    id,
    p,
    r,
    variant: null,
    picked: false,
    seed: 1,
    state: 'not-run',
    why: 'new',
    img: null,
    thumb: null,
    stale: false,
    input: null,
    from: null,
    finishedAt: null,
    ms: null,
    costUsd: null,
    review: null,
    drift: false,
    ...over,
  };
}

/** `passes` × `rows` nodes not run yet (ids `<pass>@<row>`), the rest of the data as `over` says. */
export function gridData(passes: readonly string[], rows: number, over: Partial<ReportData> = {}): ReportData {
  const nodes = Array.from({ length: rows }, (_, r) => passes.map((id, p) => nodeOf(`${id}@r${r}`, p, r))).flat();
  const none = { 'up-to-date': 0, cached: 0, remote: 0, modified: 0, running: 0, failed: 0, skipped: 0, drift: 0 };
  return {
    v: 1,
    recipe: { name: 'layout', file: 'layout.yml', provider: 'emulator' },
    generatedAt: '2026-01-01T00:00:00.000Z',
    counts: { nodes: nodes.length, 'not-run': nodes.length, ...none },
    costUsd: null,
    warnings: [],
    passes: passes.map((id, i) => ({
      id,
      prompt: `Keep the face unchanged. Edit number ${i}.`,
      from: i === 0 ? 'photo' : (passes[i - 1] ?? ''),
      fromSource: i === 0,
      depth: i + 1,
      branch: false,
      maxChange: null,
      ownsVariants: false,
      picked: null,
    })),
    rows: Array.from({ length: rows }, (_, r) => ({
      source: 'photo',
      instance: `shot-${r}`,
      input: null,
      thumb: null,
    })),
    nodes,
    ...over,
  };
}

/** The page of `data` written as `<dir>/report/index.html`: its file:// URL. */
export async function pageOf(data: ReportData, dir: string): Promise<string> {
  const report = join(dir, 'report');
  await mkdir(report, { recursive: true });
  const file = join(report, 'index.html');
  await writeFile(file, renderPage(data));
  return pathToFileURL(file).href;
}
