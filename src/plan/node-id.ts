/**
 * Node ids: `<pass>`, plus `@<instance>` for a glob instance, plus `#<k>` for a variant.
 * They name lock entries (and, in older versions, output files), so they must be stable.
 */

/** The id of the node for `pass` on `instance` (glob file stem or null) and `variant` (1-based or null). */
export function nodeId(pass: string, instance: string | null, variant: number | null): string {
  const at = instance === null ? '' : `@${instance}`;
  const hash = variant === null ? '' : `#${variant}`;
  return `${pass}${at}${hash}`;
}
