/** Small readers the model files use to take output URLs and seeds out of a provider's result JSON. */

type Obj = Readonly<Record<string, unknown>>;

const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The value at `path` inside `v` (object keys or array indexes), `undefined` when any step is missing. */
export function at(v: unknown, path: readonly (string | number)[]): unknown {
  let cur = v;
  for (const step of path) {
    if (typeof step === 'number') cur = Array.isArray(cur) ? cur[step] : undefined;
    else cur = isObj(cur) ? cur[step] : undefined;
    if (cur === undefined) return undefined;
  }
  return cur;
}

/**
 * Every http(s) URL string anywhere inside `v`, in document order, without duplicates (a Set:
 * linear in the count, where a hostile reply with thousands of URLs made `includes` quadratic).
 */
export function collectUrls(v: unknown): string[] {
  const found = new Set<string>();
  const walk = (x: unknown, depth: number): void => {
    if (depth > 16) return;
    if (typeof x === 'string') {
      const s = x.trim();
      if (/^https?:\/\//i.test(s)) found.add(s);
    } else if (Array.isArray(x)) for (const item of x) walk(item, depth + 1);
    else if (isObj(x)) for (const item of Object.values(x)) walk(item, depth + 1);
  };
  walk(v, 0);
  return [...found];
}

/** A seed the provider reported: a non-negative safe integer, else `undefined`. */
export function seedAt(v: unknown, path: readonly (string | number)[]): number | undefined {
  const s = at(v, path);
  return typeof s === 'number' && Number.isSafeInteger(s) && s >= 0 ? s : undefined;
}
