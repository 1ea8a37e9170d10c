/**
 * A recipe's outputs never become its own sources. Its out folder is excluded from globs as a
 * folder (see expandGlob); `save:` targets, which may sit beside the sources, are excluded as
 * file patterns: each placeholder matches any part of one path segment.
 */
import path from 'node:path';
import { starTemplate, templateMatcher } from '../../util/path-template.js';
import { expandBraces, GlobPatternError, matchSegments, splitPattern } from './glob-pattern.js';

const PLACEHOLDER = /\{(?:source|pass|variant|ext)\}/;

/** Is `file` (absolute) a path one of these `save:` templates (relative to `dir`) can produce? */
export function saveTargetMatcher(templates: readonly string[], dir: string): (file: string) => boolean {
  const matchers = templates.map((t) => templateMatcher(starTemplate(path.resolve(dir, t), PLACEHOLDER)));
  return (file) => matchers.some((matches) => matches(file));
}

/** Does the glob `pattern` (relative to `dir`) match the absolute path `file`? Pure: no file system. */
export function globMatchesPath(pattern: string, dir: string, file: string): boolean {
  let alternatives: ReturnType<typeof splitPattern>[];
  try {
    alternatives = expandBraces(pattern).map(splitPattern);
  } catch (e) {
    if (e instanceof GlobPatternError) return false; // a glob the source itself refuses matches nothing
    throw e;
  }
  return alternatives.some(({ base, rest, absolute }) => {
    const root = absolute ? path.resolve('/', ...base) : path.resolve(dir, ...base);
    const rel = path.relative(root, file);
    if (rel === '' || rel.startsWith('..') || path.isAbsolute(rel)) return false;
    return matchSegments(rest, rel.split(path.sep));
  });
}

/** A concrete file a `save:` template would write (placeholders filled with sample values). */
export function sampleSaveTarget(template: string, dir: string, pass: string, ext: string): string {
  const filled = template
    .replace(/\{source\}/g, 'sample')
    .replace(/\{pass\}/g, pass)
    .replace(/\{variant\}/g, '1')
    .replace(/\{ext\}/g, ext);
  return path.resolve(dir, filled);
}
