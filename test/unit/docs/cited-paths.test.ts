/**
 * The docs stay true about the repository: every section of docs/architecture.md cited anywhere is
 * a heading of that file, every repo path the docs name exists, and nothing points at design
 * documents that live outside the repository (docs/architecture.md is the project's own account).
 */
import { existsSync } from 'node:fs';
import { join, posix } from 'node:path';
import { describe, expect, it } from 'vitest';
import { listFiles, readRepoFile, REPO_ROOT } from './repo.js';

const ARCHITECTURE = 'docs/architecture.md';
const DOCS = ['README.md', 'src/README.md', ...listFiles('docs', (p) => p.endsWith('.md'))];
/** Top-level folders whose paths a doc may name (other backticked text is not a repo path). */
const REPO_DIRS = new Set(['src', 'test', 'docs', 'bench', 'scripts', 'schemas', 'recipes', '.ci']);

/** GitHub's heading anchors: lower case, punctuation dropped, spaces to hyphens. */
function slug(heading: string): string {
  return heading
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N} _-]/gu, '')
    .replace(/ /g, '-');
}

function anchorsOf(markdown: string): Set<string> {
  const withoutCode = markdown.replace(/^```[\s\S]*?^```/gm, '');
  return new Set([...withoutCode.matchAll(/^#{1,6}\s+(.+)$/gm)].map((m) => slug(m[1] ?? '')));
}

function exists(path: string): boolean {
  return existsSync(join(REPO_ROOT, path));
}

/** A backticked token that reads as a path: segments of word characters, with an extension or a trailing `/`. */
function looksLikePath(token: string): boolean {
  return /^\.?[\w.-]+(\/[\w.-]+)*\/?$/.test(token) && (token.endsWith('/') || /\.[a-z]{2,4}$/.test(token));
}

/** Repo paths a doc names: backticked paths under a known top-level folder, and relative link targets. */
function namedPaths(doc: string): string[] {
  const text = readRepoFile(doc).replace(/^```[\s\S]*?^```/gm, '');
  const ticked = [...text.matchAll(/`([^`\n]+)`/g)].map((m) => m[1] ?? '');
  const fromRoot = ticked.filter((t) => looksLikePath(t) && REPO_DIRS.has(t.split('/')[0] ?? ''));
  const links = [...text.matchAll(/\]\(([^)#\s]+)(?:#[^)]*)?\)/g)]
    .map((m) => m[1] ?? '')
    .filter((l) => !/^[a-z]+:/.test(l))
    .map((l) => posix.normalize(posix.join(posix.dirname(doc), l)));
  return [...fromRoot, ...links];
}

/**
 * In src/README.md, each table row names its folder first, and the other paths of the row are
 * relative to that folder (or to src/).
 */
function srcMapPaths(): string[] {
  const out: string[] = [];
  for (const row of readRepoFile('src/README.md').split('\n')) {
    const cells = row.split('|').slice(1, -1);
    const folder = /`([^`]+)`/.exec(cells[0] ?? '')?.[1];
    if (folder === undefined || !looksLikePath(folder)) continue;
    const base = folder.endsWith('/') ? `src/${folder}` : 'src/';
    out.push(`src/${folder}`);
    for (const m of cells
      .slice(1)
      .join('|')
      .matchAll(/`([^`\n]+)`/g)) {
      const token = m[1] ?? '';
      if (!looksLikePath(token)) continue;
      const candidates = [base + token, `src/${token}`, token];
      out.push(candidates.find(exists) ?? candidates[0] ?? token);
    }
  }
  return out;
}

/** Text files of the repository (not .git, node_modules or build output). */
function repoTextFiles(): string[] {
  return listFiles('.', (p) => !/\.(png|jpe?g|webp|gif|avif|heic|ico|woff2?)$/i.test(p)).filter((p) => {
    const text = readRepoFile(p);
    return !text.includes('\u0000');
  });
}

describe('cited sections and paths (docs/architecture.md)', () => {
  const anchors = anchorsOf(readRepoFile(ARCHITECTURE));

  it('has the sections code comments cite', () => {
    for (const a of ['layers', 'one-node-end-to-end', 'cache-lock-and-journal', 'exit-codes', 'adding-a-provider'])
      expect(anchors, a).toContain(a);
    expect(anchors).toContain('watch-mode');
  });

  it('every section of docs/architecture.md cited in the repository is a heading', () => {
    const files = ['src', 'test', 'bench', 'scripts', 'docs'].flatMap((d) => listFiles(d)).concat('README.md');
    const cited = files.flatMap((f) =>
      [...readRepoFile(f).matchAll(/docs\/architecture\.md#([a-z0-9-]+)/g)].map((m) => ({ f, anchor: m[1] ?? '' })),
    );
    expect(cited.length).toBeGreaterThan(20);
    const inDoc = [...readRepoFile(ARCHITECTURE).matchAll(/\]\(#([a-z0-9-]+)\)/g)].map((m) => ({
      f: ARCHITECTURE,
      anchor: m[1] ?? '',
    }));
    const broken = [...cited, ...inDoc].filter((c) => !anchors.has(c.anchor)).map((c) => `${c.f}: #${c.anchor}`);
    expect(broken).toEqual([]);
  });

  it('every repo path named in README.md, src/README.md and docs/ exists', () => {
    const named = [
      ...DOCS.flatMap((d) => namedPaths(d).map((p) => ({ d, p }))),
      ...srcMapPaths().map((p) => ({ d: 'src/README.md', p })),
    ];
    expect(named.length).toBeGreaterThan(60);
    const missing = named.filter(({ p }) => !exists(p)).map(({ d, p }) => `${d}: ${p}`);
    expect(missing).toEqual([]);
  });

  it('nothing refers to the design inputs outside the repository', () => {
    // Built from parts, so this file does not match itself.
    const outside = [
      ['DESIGN', '.md'],
      ['..', '/shared'],
      ['runcomfy-api', '.md'],
      ['providers-api', '.md'],
      ['STYLE', '.md'],
      ['flux-kontext-skill', '.txt'],
    ].map((parts) => parts.join(''));
    const hits = repoTextFiles().flatMap((f) => {
      const text = readRepoFile(f);
      return outside.filter((o) => text.includes(o)).map((o) => `${f}: ${o}`);
    });
    expect(hits).toEqual([]);
  });
});
