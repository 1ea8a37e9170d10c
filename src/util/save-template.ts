/**
 * `save:` placeholder filling. `{source}`, `{pass}` and `{variant}` are filled per node;
 * `{ext}` stays for the runner, which only knows the extension once the image is downloaded.
 * Shared by the planner and the recipe rule that checks no two nodes write one file.
 */

export interface SaveValues {
  /** The glob instance name, else the source name. */
  readonly source: string;
  readonly pass: string;
  /** 1-based variant, or null when the node has none. */
  readonly variant: number | null;
}

// One regex, one pass: a filled value that happens to contain `{pass}` is never re-expanded.
const PLACEHOLDER = /([-_.])?\{variant\}([-_])?|\{(source|pass)\}/g;

/**
 * Fill a `save:` template for one node.
 *
 * Without variants `{variant}` expands to nothing, and it takes one neighbouring separator
 * with it so the name stays clean: `{source}-{variant}.{ext}` gives `portrait.{ext}`, and
 * `{variant}_{source}.{ext}` gives `portrait.{ext}`. A `/` is never removed (`a/{variant}/b`
 * gives `a//b`, which any path join normalizes).
 */
export function fillSave(template: string, values: SaveValues): string {
  return template.replace(
    PLACEHOLDER,
    (_m: string, before: string | undefined, after: string | undefined, name: string | undefined) => {
      if (name === 'source') return values.source;
      if (name === 'pass') return values.pass;
      if (values.variant !== null) return `${before ?? ''}${values.variant}${after ?? ''}`;
      // Drop the separator before it when there is one, else the one after it.
      return before === undefined ? '' : (after ?? '');
    },
  );
}

/**
 * A node's `save:` copy for an output of extension `ext` (`png`): the planner filled every
 * placeholder but `{ext}`, which the runner knows once the image is in; null without `save:`.
 */
export function saveCopyPath(save: string | null, ext: string): string | null {
  return save === null ? null : save.split('{ext}').join(ext);
}
