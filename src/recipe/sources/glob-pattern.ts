/**
 * Glob patterns, compiled by hand (Node 20 has no fs.glob): `*`, `**`, `?`, `[...]`, `{a,b}`.
 * Braces are expanded first into plain patterns; each path segment then becomes either a
 * literal name or an anchored RegExp. `*` and `?` never match a leading dot (hidden files)
 * unless the segment itself starts with one, as in every shell.
 */

/** More alternatives than this is a mistake (or an attack), not a recipe. */
const MAX_BRACE_EXPANSIONS = 1024;

export class GlobPatternError extends Error {}

/** Does the spec use glob syntax? */
export function isGlob(spec: string): boolean {
  return /[*?[{]/.test(spec);
}

/** `a/{b,c}/*.{jpg,png}` → four patterns, in order; nested braces work. */
export function expandBraces(pattern: string): string[] {
  const open = findBraceGroup(pattern);
  if (!open) return [pattern];
  const { start, end, parts } = open;
  const out: string[] = [];
  for (const part of parts) {
    for (const rest of expandBraces(pattern.slice(0, start) + part + pattern.slice(end + 1))) {
      out.push(rest);
      if (out.length > MAX_BRACE_EXPANSIONS)
        throw new GlobPatternError(`more than ${MAX_BRACE_EXPANSIONS} brace alternatives`);
    }
  }
  return out;
}

/** The first `{...}` holding a top-level comma, with its comma-separated parts. */
function findBraceGroup(p: string): { start: number; end: number; parts: string[] } | undefined {
  for (let start = p.indexOf('{'); start !== -1; start = p.indexOf('{', start + 1)) {
    let depth = 0;
    let partStart = start + 1;
    const parts: string[] = [];
    for (let i = start; i < p.length; i++) {
      const ch = p[i];
      if (ch === '\\') i++;
      else if (ch === '{') depth++;
      else if (ch === '}' && --depth === 0) {
        if (parts.length === 0) break; // `{x}` without a comma is literal
        parts.push(p.slice(partStart, i));
        return { start, end: i, parts };
      } else if (ch === ',' && depth === 1) {
        parts.push(p.slice(partStart, i));
        partStart = i + 1;
      }
    }
  }
  return undefined;
}

export type Segment =
  | { readonly kind: 'literal'; readonly name: string }
  | { readonly kind: 'globstar' }
  | { readonly kind: 'pattern'; readonly re: RegExp };

/**
 * Whether a name matches: in the form it is on disk, or in either Unicode form (a macOS NFD
 * name, an NFC pattern). The glob expander and watch mode's filter match names alike.
 */
export function segmentMatches(seg: Segment, name: string): boolean {
  if (matchesAsIs(seg, name)) return true;
  if (/^[\x00-\x7f]*$/.test(name)) return false;
  return matchesAsIs(seg, name.normalize('NFC')) || matchesAsIs(seg, name.normalize('NFD'));
}

function matchesAsIs(seg: Segment, name: string): boolean {
  switch (seg.kind) {
    case 'literal':
      return seg.name === name;
    case 'pattern':
      return seg.re.test(name);
    case 'globstar':
      return true;
  }
}

/** Compile one path segment (no `/`, braces already expanded). */
export function compileSegment(seg: string): Segment {
  if (seg === '**') return { kind: 'globstar' };
  if (!/[*?[\\]/.test(seg)) return { kind: 'literal', name: seg };
  let re = '';
  for (let i = 0; i < seg.length; i++) {
    const ch = seg[i] as string;
    if (ch === '*') re += '[^/]*';
    else if (ch === '?') re += '[^/]';
    else if (ch === '\\' && i + 1 < seg.length) re += escapeRe(seg[++i] as string);
    else if (ch === '[') {
      const cls = charClass(seg, i);
      re += cls ? cls.re : '\\[';
      if (cls) i = cls.end;
    } else re += escapeRe(ch);
  }
  // Hidden files need an explicit leading dot.
  const hidden = seg.startsWith('.') ? '' : '(?!\\.)';
  return { kind: 'pattern', re: new RegExp(`^${hidden}${re}$`, 'u') };
}

/** `[abc]`, `[a-z]`, `[!x]` / `[^x]`; `undefined` when unterminated (then `[` is literal). */
function charClass(seg: string, start: number): { re: string; end: number } | undefined {
  let i = start + 1;
  let negate = false;
  if (seg[i] === '!' || seg[i] === '^') {
    negate = true;
    i++;
  }
  let body = '';
  // A `]` right after the opening is a member, as in POSIX.
  if (seg[i] === ']') {
    body += '\\]';
    i++;
  }
  for (; i < seg.length; i++) {
    const ch = seg[i] as string;
    if (ch === ']') return { re: `[${negate ? '^' : ''}${body}]`, end: i };
    if (ch === '\\' && i + 1 < seg.length) {
      const next = seg[++i] as string;
      body += next === '-' ? '\\-' : escapeRe(next);
    } else body += ch === '-' ? '-' : escapeRe(ch);
  }
  return undefined;
}

function escapeRe(ch: string): string {
  // Only syntax characters: the `u` flag rejects identity escapes of anything else.
  return ch.replace(/[\\^$.*+?()[\]{}|/]/g, '\\$&');
}

/** Split a brace-free pattern into its base folder (static prefix) and compiled remainder. */
export function splitPattern(pattern: string): { base: string[]; rest: Segment[]; absolute: boolean } {
  const absolute = pattern.startsWith('/');
  const segs = pattern.split('/').filter((s) => s !== '' && s !== '.');
  const compiled = segs.map(compileSegment);
  // A trailing `**` means every file below, as `**/*` does.
  if (compiled.at(-1)?.kind === 'globstar') compiled.push(compileSegment('*'));
  const firstMagic = compiled.findIndex((s) => s.kind !== 'literal');
  const cut = firstMagic === -1 ? segs.length : firstMagic;
  return { base: segs.slice(0, cut), rest: compiled.slice(cut), absolute };
}
