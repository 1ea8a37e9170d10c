/**
 * Glob patterns, compiled by hand (Node 20 has no fs.glob): `*`, `**`, `?`, `[...]`, `{a,b}`.
 * Braces are expanded first into plain patterns; each path segment then becomes either a
 * literal name or an anchored RegExp. `*` and `?` never match a leading dot (hidden files)
 * unless the segment itself starts with one, as in every shell, nor an editor's backup or swap
 * file ({@link EDITOR_TEMP}).
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
  | { readonly kind: 'pattern'; readonly test: (name: string) => boolean };

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
      return seg.test(name);
    case 'globstar':
      return true;
  }
}

/** One code point of a pattern: itself, any one (`?`), any run (`*`), or one of a class (`[...]`). */
type Token =
  | { readonly kind: 'char'; readonly ch: string }
  | { readonly kind: 'one' }
  | { readonly kind: 'star' }
  | { readonly kind: 'class'; readonly has: (ch: string) => boolean };

/**
 * Compile one path segment (no `/`, braces already expanded). A wildcard segment is matched by
 * {@link wildcardMatch}, not a RegExp: `*a*a*a*b.png` as `[^/]*a[^/]*a…` backtracked
 * exponentially on a long name of `a`s (walk-t: a stranger's recipe froze `validate`, Ctrl-C
 * unheard, since the match never yields).
 */
export function compileSegment(seg: string): Segment {
  if (seg === '**') return { kind: 'globstar' };
  if (!/[*?[\\]/.test(seg)) return { kind: 'literal', name: seg };
  const chars = Array.from(seg);
  const tokens: Token[] = [];
  for (let i = 0; i < chars.length; i++) {
    const ch = chars[i] as string;
    if (ch === '*') {
      if (tokens.at(-1)?.kind !== 'star') tokens.push({ kind: 'star' }); // `**` inside a name is one `*`
    } else if (ch === '?') tokens.push({ kind: 'one' });
    else if (ch === '\\' && i + 1 < chars.length) tokens.push({ kind: 'char', ch: chars[++i] as string });
    else if (ch === '[') {
      const cls = charClass(chars, i);
      if (cls) {
        tokens.push({ kind: 'class', has: cls.has });
        i = cls.end;
      } else tokens.push({ kind: 'char', ch });
    } else tokens.push({ kind: 'char', ch });
  }
  // Hidden files need an explicit leading dot; an editor's backup or swap file is never a wildcard's.
  const hidden = seg.startsWith('.');
  return {
    kind: 'pattern',
    test: (name) =>
      (hidden || !name.startsWith('.')) && !EDITOR_TEMP.test(name) && wildcardMatch(tokens, Array.from(name)),
  };
}

/**
 * Names an editor writes beside a file it saves: vim's and emacs's backups (`photo.jpg~`), vim's
 * swap files (`.photo.jpg.swp`, `.swx`), Sublime Text's temp files (`.subl…tmp`). Watch mode never
 * sees them (chokidar's `atomic` filter, the same pattern), so no wildcard matches them either: a
 * plan, a run and a watch agree on what is a source, and an editor's backup is never paid for
 * (walk-ak 2). A literal name still takes such a file.
 */
const EDITOR_TEMP = /\..*\.sw[px]$|~$|\.subl.*\.tmp/;

/**
 * Whether `name` (code points) matches `tokens`, in O(tokens × name) at worst: on a mismatch only
 * the last `*` is tried one code point further, never an earlier one (what a star before it
 * matched, the later star can take just as well).
 */
function wildcardMatch(tokens: readonly Token[], name: readonly string[]): boolean {
  let t = 0;
  let n = 0;
  let starAt = -1;
  let resumeAt = 0;
  while (n < name.length) {
    const token = tokens[t];
    if (token !== undefined && token.kind === 'star') {
      starAt = t++;
      resumeAt = n;
      continue;
    }
    if (token !== undefined && matchesOne(token, name[n] as string)) {
      t++;
      n++;
      continue;
    }
    if (starAt === -1) return false;
    t = starAt + 1;
    n = ++resumeAt;
  }
  while (tokens[t]?.kind === 'star') t++;
  return t === tokens.length;
}

function matchesOne(token: Exclude<Token, { kind: 'star' }>, ch: string): boolean {
  switch (token.kind) {
    case 'char':
      return token.ch === ch;
    case 'one':
      return ch !== '/';
    case 'class':
      return token.has(ch);
  }
}

/**
 * `[abc]`, `[a-z]`, `[!x]` / `[^x]`; `undefined` when unterminated (then `[` is literal). A `]`
 * right after the opening is a member, as in POSIX; any member, escaped or that `]`, may start a
 * range (`[\\a-z]`, `[]-z]`); a range backwards (`[z-a]`) holds nothing.
 */
function charClass(chars: readonly string[], start: number): { has: (ch: string) => boolean; end: number } | undefined {
  let i = start + 1;
  let negate = false;
  if (chars[i] === '!' || chars[i] === '^') {
    negate = true;
    i++;
  }
  const members: string[] = [];
  const ranges: [number, number][] = [];
  for (let first = true; i < chars.length; i++, first = false) {
    let ch = chars[i] as string;
    if (ch === ']' && !first) {
      const has = (c: string): boolean => {
        const cp = c.codePointAt(0) ?? 0;
        const inside = members.includes(c) || ranges.some(([lo, hi]) => cp >= lo && cp <= hi);
        return inside !== negate && c !== '/';
      };
      return { has, end: i };
    }
    if (ch === '\\' && i + 1 < chars.length) ch = chars[++i] as string;
    if (chars[i + 1] === '-' && chars[i + 2] !== undefined && chars[i + 2] !== ']') {
      let hi = chars[i + 2] as string;
      i += 2;
      if (hi === '\\' && i + 1 < chars.length) hi = chars[++i] as string;
      ranges.push([ch.codePointAt(0) ?? 0, hi.codePointAt(0) ?? 0]);
    } else members.push(ch);
  }
  return undefined;
}

/** More path segments than any path of a real disk holds (Linux: 4,096 bytes): a mistake or an attack. */
const MAX_SEGMENTS = 1024;

/**
 * Split a brace-free pattern into its base folder (static prefix) and compiled remainder.
 * Consecutive `**` are one (`**\/**` spans what `**` spans; each more made the walk re-walk every
 * folder below once more: walk-t, 20 of them never ended).
 */
export function splitPattern(pattern: string): { base: string[]; rest: Segment[]; absolute: boolean } {
  const absolute = pattern.startsWith('/');
  const segs: string[] = [];
  for (const s of pattern.split('/')) {
    if (s === '' || s === '.' || (s === '**' && segs.at(-1) === '**')) continue;
    segs.push(s);
    if (segs.length > MAX_SEGMENTS) throw new GlobPatternError(`more than ${MAX_SEGMENTS} path segments`);
  }
  const compiled = segs.map(compileSegment);
  // A trailing `**` means every file below, as `**/*` does.
  if (compiled.at(-1)?.kind === 'globstar') compiled.push(compileSegment('*'));
  const firstMagic = compiled.findIndex((s) => s.kind !== 'literal');
  const cut = firstMagic === -1 ? segs.length : firstMagic;
  return { base: segs.slice(0, cut), rest: compiled.slice(cut), absolute };
}

/**
 * Full match of path segments against compiled glob segments (`**` spans zero or more folders,
 * never hidden ones); names in either Unicode form, as the glob expander matches them. Each
 * (segment, part) pair is decided once: `**\/*\/**\/*` over a deep path costs segments × parts,
 * not every way of spreading the parts over the `**`.
 */
export function matchSegments(segs: readonly Segment[], parts: readonly string[]): boolean {
  const memo = new Map<number, boolean>();
  const at = (i: number, j: number): boolean => {
    const key = i * (parts.length + 1) + j;
    const known = memo.get(key);
    if (known !== undefined) return known;
    const seg = segs[i];
    const part = parts[j];
    let result: boolean;
    if (seg === undefined) result = part === undefined;
    else if (seg.kind === 'globstar')
      result = at(i + 1, j) || (part !== undefined && !part.startsWith('.') && at(i, j + 1));
    else result = part !== undefined && segmentMatches(seg, part) && at(i + 1, j + 1);
    memo.set(key, result);
    return result;
  };
  return at(0, 0);
}
