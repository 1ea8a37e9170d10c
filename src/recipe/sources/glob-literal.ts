/**
 * A source written as a file's name that holds a glob character (`photo[1].jpg`, `shot{a}.png`,
 * `what?.jpg`): as a glob `[1]` is a character class, so `in/photo[1].jpg` matched
 * `in/photo1.jpg`, and the run paid to edit another image than the one the recipe names, with no
 * word said. When the spec read as a plain path names a file, the source is refused, giving the
 * spelling that reads that file (each glob character escaped by `\`); a glob that matches nothing
 * and holds `[` or `{` says the same.
 */
import { stat } from 'node:fs/promises';
import path from 'node:path';
import { escapeName } from '../../util/hidden-chars.js';
import { stemOf } from './instance-names.js';

/**
 * `spec` as a glob matching only the file it names: `* ? [ ] { }` escaped by `\`; a `\` of the
 * name (a refused spelling in a source, see rules/windows-names.ts) made `?`, which matches it.
 */
export function escapedGlob(spec: string): string {
  return spec.replace(/[\\*?[\]{}]/g, (c) => (c === '\\' ? '?' : `\\${c}`));
}

/** How to write `spec` as a glob for the file it names, in YAML (both quotings), and the node ids it gives. */
export function literalSpelling(spec: string): string {
  const glob = escapedGlob(spec);
  const double = glob.replace(/\\/g, '\\\\').replace(/"/g, '\\"');
  return (
    `to read that file, escape its glob characters: "${escapeName(double)}" in double quotes, ` +
    `or '${escapeName(glob.replace(/'/g, "''"))}' in single quotes (still a glob of one file: its node ids ` +
    `end in @${stemOf(spec)}, not the bare pass id); or rename the file`
  );
}

/** Whether `spec`, read as a plain path from `dir`, names an existing file (a glob spec that may mean it). */
export async function namesFile(spec: string, dir: string): Promise<boolean> {
  const info = await stat(path.resolve(dir, spec)).catch(() => undefined);
  return info?.isFile() === true;
}

/** The hint for a glob matching nothing that may be a file's name with glob characters in it. */
export function noMatchNote(spec: string): string {
  return /[[{]/.test(spec)
    ? '; "[...]" and "{a,b}" are glob syntax: a file whose name holds them is named with each escaped ' +
        `by "\\", as "${escapeName(escapedGlob(spec).replace(/\\/g, '\\\\'))}" in double quotes`
    : '';
}
