/**
 * `from:` values: a source name, a pass id, or `<pass>#<k>` — variant k of a pass with
 * variants, so one variant someone chose feeds the passes after it.
 */

export interface FromRef {
  /** The source name or pass id, without a `#` suffix. */
  readonly name: string;
  /** The variant after `#`, when it is a positive integer. */
  readonly variant?: number;
  /** The text after `#` when it is not a positive integer (`bag#x`, `bag#0`, `bag#`). */
  readonly badVariant?: string;
}

const VARIANT = /^[1-9][0-9]{0,5}$/;

/** Split `bag#2` into `bag` and 2; a value without `#` is a plain name. */
export function parseFromRef(from: string): FromRef {
  const hash = from.indexOf('#');
  if (hash < 0) return { name: from };
  const name = from.slice(0, hash);
  const tail = from.slice(hash + 1);
  return VARIANT.test(tail) ? { name, variant: Number(tail) } : { name, badVariant: tail };
}
