/**
 * Matching a path against a template whose placeholders stand for parts of a name (a `save:`
 * template, `out/{source}-{pass}.{ext}`), in time linear in the template times the path. A
 * RegExp of the same shape (`[^/]*-[^/]*-…`) backtracked polynomially in the path's length, to
 * the power of the placeholders: twelve placeholders against a name of 40 dashes took minutes
 * (walk-t: a stranger's recipe froze `validate`).
 */

export type TemplateToken =
  /** These characters. */
  | { readonly kind: 'text'; readonly text: string }
  /** These characters, or nothing (a separator an empty `{variant}` drops). */
  | { readonly kind: 'optional'; readonly text: string }
  /** Any run of characters but `/` (a placeholder matching any part of one name). */
  | { readonly kind: 'star' }
  /** One of these (a placeholder with known values: the pass ids). */
  | { readonly kind: 'oneOf'; readonly texts: readonly string[] };

/**
 * A matcher of whole paths against `tokens`, made once for many paths (a `oneOf` of 20,000 source
 * names folded and grouped by length here, not per path: review-ab measured `validate` of 20,000
 * sources at 613 s when each call walked every name at every position). Decided backwards over the
 * tokens, a row of booleans per token (can the rest match from here?): tokens × path steps (a
 * `oneOf`: a set look-up per distinct length), whatever the template.
 */
export function templateMatcher(
  tokens: readonly TemplateToken[],
  options: { readonly ignoreCase?: boolean } = {},
): (path: string) => boolean {
  const fold = (t: string): string => (options.ignoreCase ? t.toLowerCase() : t);
  const steps = tokens.map((token) => {
    if (token.kind === 'star') return token;
    if (token.kind === 'oneOf') {
      const byLength = new Map<number, Set<string>>();
      for (const t of token.texts) {
        const f = fold(t);
        const set = byLength.get(f.length) ?? new Set<string>();
        byLength.set(f.length, set);
        set.add(f);
      }
      return { kind: 'oneOf' as const, byLength: [...byLength] };
    }
    return { ...token, text: fold(token.text) };
  });
  return (path) => {
    const s = fold(path);
    const n = s.length;
    let next = new Uint8Array(n + 1);
    next[n] = 1;
    for (let i = steps.length - 1; i >= 0; i--) {
      const step = steps[i] as (typeof steps)[number];
      const cur = new Uint8Array(n + 1);
      if (step.kind === 'star') {
        for (let j = n; j >= 0; j--) cur[j] = next[j] === 1 || (j < n && s[j] !== '/' && cur[j + 1] === 1) ? 1 : 0;
      } else if (step.kind === 'oneOf') {
        for (let j = 0; j <= n; j++)
          cur[j] = step.byLength.some(([len, set]) => next[j + len] === 1 && set.has(s.slice(j, j + len))) ? 1 : 0;
      } else {
        const { text } = step;
        for (let j = 0; j <= n; j++)
          cur[j] =
            (step.kind === 'optional' && next[j] === 1) || (next[j + text.length] === 1 && s.startsWith(text, j))
              ? 1
              : 0;
      }
      next = cur;
    }
    return next[0] === 1;
  };
}

/** `a/{x}-{y}.png` with `{x}`, `{y}` matching any part of a name: text and star tokens. */
export function starTemplate(template: string, placeholder: RegExp): TemplateToken[] {
  const global = new RegExp(placeholder.source, 'g');
  const tokens: TemplateToken[] = [];
  let at = 0;
  for (const m of template.matchAll(global)) {
    if (m.index > at) tokens.push({ kind: 'text', text: template.slice(at, m.index) });
    tokens.push({ kind: 'star' });
    at = m.index + m[0].length;
  }
  if (at < template.length) tokens.push({ kind: 'text', text: template.slice(at) });
  return tokens;
}
