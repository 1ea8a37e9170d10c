/** Node system errors by code (`ENOENT`, `EMFILE`, …): the one check every layer asks. */

/** Whether `e` is a Node system error with one of these codes. */
export function isCode(e: unknown, ...codes: string[]): boolean {
  return typeof e === 'object' && e !== null && codes.includes(String((e as { code?: unknown }).code));
}
