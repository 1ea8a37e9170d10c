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
 * Whether the whole of `path` matches `tokens`. Decided backwards over the tokens, a row of
 * booleans per token (can the rest match from here?): tokens × path steps, whatever the template.
 */
export function matchesTemplate(
  tokens: readonly TemplateToken[],
  path: string,
  options: { readonly ignoreCase?: boolean } = {},
): boolean {
  const s = options.ignoreCase ? path.toLowerCase() : path;
  const fold = (t: string): string => (options.ignoreCase ? t.toLowerCase() : t);
  const n = s.length;
  let next = new Uint8Array(n + 1);
  next[n] = 1;
  for (let i = tokens.length - 1; i >= 0; i--) {
    const token = tokens[i] as TemplateToken;
    const cur = new Uint8Array(n + 1);
    switch (token.kind) {
      case 'text':
      case 'optional': {
        const text = fold(token.text);
        for (let j = 0; j <= n; j++)
          cur[j] =
            (token.kind === 'optional' && next[j] === 1) || (next[j + text.length] === 1 && s.startsWith(text, j))
              ? 1
              : 0;
        break;
      }
      case 'star':
        for (let j = n; j >= 0; j--) cur[j] = next[j] === 1 || (j < n && s[j] !== '/' && cur[j + 1] === 1) ? 1 : 0;
        break;
      case 'oneOf': {
        const texts = [...new Set(token.texts.map(fold))];
        for (let j = 0; j <= n; j++) cur[j] = texts.some((t) => next[j + t.length] === 1 && s.startsWith(t, j)) ? 1 : 0;
        break;
      }
    }
    next = cur;
  }
  return next[0] === 1;
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
