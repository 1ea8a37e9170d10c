/**
 * What watch mode watches and which paths matter (pure): roots per folder (recursive only
 * when a glob goes deeper), pattern matching like the glob expander (hidden names need an
 * explicit dot), and exclusions for everything runs write (outputs, save copies, lock, cache).
 */
import { describe, expect, it } from 'vitest';
import type { Recipe, Source } from '../../../src/recipe/types.js';
import { matchSegments } from '../../../src/recipe/sources/glob-pattern.js';
import {
  draftWatchTargets,
  mergeTargets,
  recipeOnlyTargets,
  watchFilter,
  watchTargets,
} from '../../../src/recipe/watch-targets.js';
import { splitPattern } from '../../../src/recipe/sources/glob-pattern.js';

function recipe(sources: readonly Source[], extra: Partial<Recipe> = {}): Recipe {
  return {
    file: '/p/recipe.yml',
    displayPath: 'recipe.yml',
    dir: '/p',
    projectRoot: '/p',
    name: 'r',
    provider: 'emulator',
    model: 'm',
    outDir: '/p/out/r',
    sources,
    passes: [],
    warnings: [],
    ...extra,
  };
}
const glob = (spec: string): Source => ({ name: 'g', kind: 'glob', spec, instances: [] });
const file = (path: string): Source => ({ name: 'f', kind: 'file', spec: path, instances: [{ instance: null, path }] });

describe('watchTargets / watchFilter', () => {
  it('watches the folders of the recipe and its source files, non-recursively, and only those files', () => {
    const f = watchFilter(
      watchTargets(
        recipe([
          file('/p/assets/photo.jpg'),
          { name: 'u', kind: 'url', spec: 'https://x/y.jpg', instances: [{ instance: null, url: 'https://x/y.jpg' }] },
        ]),
      ),
    );
    expect(f.roots).toEqual([
      { path: '/p', recursive: false },
      { path: '/p/assets', recursive: false },
    ]);
    expect(f.relevant('/p/recipe.yml', 'file')).toBe(true);
    expect(f.relevant('/p/assets/photo.jpg', undefined)).toBe(true);
    expect(f.relevant('/p/assets/other.jpg', 'file')).toBe(false);
    expect(f.relevant('/p/recipe.lock.json', 'file')).toBe(false);
    expect(f.relevant('/p/out', undefined)).toBe(false);
  });

  it('a flat glob: its folder, matching direct children only, hidden names left out', () => {
    const f = watchFilter(watchTargets(recipe([glob('shots/*.jpg')])));
    expect(f.roots).toContainEqual({ path: '/p/shots', recursive: false });
    expect(f.relevant('/p/shots/a.jpg', undefined)).toBe(true);
    expect(f.relevant('/p/shots/a.png', 'file')).toBe(false);
    expect(f.relevant('/p/shots/.a.jpg', 'file')).toBe(false);
    expect(f.relevant('/p/shots/sub', 'dir')).toBe(false);
    expect(f.relevant('/p/shots/sub/a.jpg', 'file')).toBe(false);
  });

  it('a deep glob: recursive, descends into non-hidden folders, matches like the expander', () => {
    const f = watchFilter(watchTargets(recipe([glob('shots/**/*.jpg')])));
    expect(f.roots).toContainEqual({ path: '/p/shots', recursive: true });
    expect(f.relevant('/p/shots/a/b', undefined)).toBe(true);
    expect(f.relevant('/p/shots/a/b/c.jpg', 'file')).toBe(true);
    expect(f.relevant('/p/shots/c.jpg', 'file')).toBe(true);
    expect(f.relevant('/p/shots/.git', 'dir')).toBe(false);
    expect(f.relevant('/p/shots/.cache/c.jpg', 'file')).toBe(false);
  });

  it('braces give one root per alternative', () => {
    const roots = watchFilter(watchTargets(recipe([glob('{a,b}/*.png')]))).roots.map((r) => r.path);
    expect(roots).toEqual(['/p', '/p/a', '/p/b']);
  });

  it('never reacts to what runs write: outputs, save copies, the lock and its .lck, the cache', () => {
    const r = recipe([glob('**/*.png')], {
      outDir: '/p/out/r',
      passes: [
        {
          id: 'x',
          prompt: 'p',
          from: { kind: 'source', name: 'g' },
          variants: 1,
          model: 'm',
          params: {},
          save: '/p/final/{source}-{pass}.{ext}',
        },
      ],
    });
    const f = watchFilter(watchTargets(r, { cacheDir: '/p/cache', lockPath: '/p/recipe.lock.json' }));
    expect(f.relevant('/p/photos/a.png', 'file')).toBe(true);
    expect(f.relevant('/p/out/r/x.png', 'file')).toBe(false);
    expect(f.relevant('/p/out/r', undefined)).toBe(false);
    expect(f.relevant('/p/final/a-x.png', 'file')).toBe(false);
    expect(f.relevant('/p/final/other.png', 'file')).toBe(true);
    expect(f.relevant('/p/cache/blobs/ab.png', 'file')).toBe(false);
    expect(f.relevant('/p/sub/.kontext', 'dir')).toBe(false);
    expect(f.relevant('/p/recipe.lock.json.lck', 'file')).toBe(false);
  });

  it('a glob folder that does not exist yet: its ancestors stay in, so it is seen when created', () => {
    const f = watchFilter(watchTargets(recipe([glob('incoming/today/*.jpg')])));
    expect(f.relevant('/p/incoming', undefined)).toBe(true);
    expect(f.relevant('/p/incoming', 'file')).toBe(false);
    expect(f.relevant('/p/incoming/today', 'dir')).toBe(true);
  });

  it('before the first valid load: the recipe file alone', () => {
    const f = watchFilter(recipeOnlyTargets('/p/recipe.yml'));
    expect(f.roots).toEqual([{ path: '/p', recursive: false }]);
    expect(f.relevant('/p/recipe.yml', undefined)).toBe(true);
    expect(f.relevant('/p/assets', undefined)).toBe(false);
  });

  it('a path reported in the other Unicode form than the recipe writes it (café NFC / NFD) matches alike', () => {
    const [nfc, nfd] = ['caf\u00e9', 'cafe\u0301'];
    const f = watchFilter(
      watchTargets(recipe([glob(`shots/${nfc}/*.jpg`), file(`/p/${nfd}/hero.jpg`)], { outDir: `/p/${nfc}/out` })),
    );
    expect(f.relevant(`/p/shots/${nfd}`, 'dir')).toBe(true); // the root, as it is on disk
    expect(f.relevant(`/p/shots/${nfd}/a.jpg`, 'file')).toBe(true);
    expect(f.relevant(`/p/shots/${nfd}/a.png`, 'file')).toBe(false);
    expect(f.relevant(`/p/${nfc}/hero.jpg`, 'file')).toBe(true);
    expect(f.relevant(`/p/${nfd}/out/hero.png`, 'file')).toBe(false);
    // A folder still missing: its other-form name on the way to it stays in.
    const later = watchFilter(watchTargets(recipe([glob(`in/${nfd}/today/*.jpg`)])));
    expect(later.relevant(`/p/in/${nfc}`, undefined)).toBe(true);
    expect(later.relevant(`/p/in/${nfc}/today/${nfc}.jpg`, 'file')).toBe(true);
    // A literal name below a wildcard, in the other form on disk (as the glob expander matches it).
    const deep = watchFilter(watchTargets(recipe([glob(`shots/*/${nfd}/*.jpg`)])));
    expect(deep.relevant(`/p/shots/x/${nfc}/a.jpg`, 'file')).toBe(true);
    expect(deep.relevant(`/p/shots/x/${nfd}/a.jpg`, 'file')).toBe(true);
    expect(deep.relevant(`/p/shots/x/other/a.jpg`, 'file')).toBe(false);
  });

  it('matchSegments: ** spans zero or more folders', () => {
    const { rest } = splitPattern('**/x/*.jpg');
    expect(matchSegments(rest, ['x', 'a.jpg'])).toBe(true);
    expect(matchSegments(rest, ['a', 'b', 'x', 'a.jpg'])).toBe(true);
    expect(matchSegments(rest, ['a', 'x', 'b', 'a.jpg'])).toBe(false);
  });
});

describe('draftWatchTargets / mergeTargets (a recipe that does not load yet)', () => {
  const text = [
    'version: 1',
    'out: results',
    'defaults: { save: "final/{source}.{ext}" }',
    'sources:',
    '  one: incoming/new.jpg',
    '  many: "drops/**/*.png"',
    '  web: https://example.com/x.jpg',
    '  bad: 12',
    'passes:',
    '  - id: a',
    '    promt: typo',
    '',
  ].join('\n');

  it('names the sources as written (missing ones included) and excludes what runs would write', () => {
    const t = draftWatchTargets('/p/recipe.yml', text);
    expect(t?.files).toEqual(['/p/recipe.yml', '/p/incoming/new.jpg']);
    const f = watchFilter(t ?? recipeOnlyTargets('/p/recipe.yml'));
    expect(f.roots).toEqual([
      { path: '/p', recursive: false },
      { path: '/p/incoming', recursive: false },
      { path: '/p/drops', recursive: true },
    ]);
    expect(f.relevant('/p/incoming/new.jpg', 'file')).toBe(true);
    expect(f.relevant('/p/drops/a/b.png', 'file')).toBe(true);
    expect(f.relevant('/p/results/a.png', 'file')).toBe(false);
    expect(f.relevant('/p/final/x.png', 'file')).toBe(false);
    expect(f.relevant('/p/recipe.lock.json', 'file')).toBe(false);
  });

  it('YAML that does not parse names nothing', () => {
    expect(draftWatchTargets('/p/recipe.yml', 'sources: [unclosed')).toBeNull();
  });

  it('merging keeps both: the last good recipe stays watched while an edit names new sources', () => {
    const good = watchTargets(recipe([file('/p/assets/photo.jpg')]));
    const merged = mergeTargets(good, draftWatchTargets('/p/recipe.yml', text));
    expect(merged.files).toEqual(['/p/recipe.yml', '/p/assets/photo.jpg', '/p/incoming/new.jpg']);
    // The latest load failed: nothing it found counts as loaded.
    expect(good.loaded).toEqual(['/p/assets/photo.jpg']);
    expect(merged.loaded).toEqual([]);
    expect(mergeTargets(good, null)).toBe(good);
    expect(mergeTargets(good, null, true).loaded).toEqual([]);
  });
});
