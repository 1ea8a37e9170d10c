/**
 * Table look-ups by a key that came from outside (a recipe, a server, a file name): only the
 * table's own entries count, so `toString` or `constructor` never finds `Object.prototype`.
 */

/** `table[key]` when `key` is one of the table's own entries, else `undefined`. */
export function ownValue<T>(table: Readonly<Record<string, T>>, key: string): T | undefined {
  return Object.hasOwn(table, key) ? table[key] : undefined;
}
