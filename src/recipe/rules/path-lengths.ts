/**
 * Names a file system can hold: a file or folder name is at most 255 bytes on every common file
 * system, and kontext writes each file through a temp beside it (`.<name>.<writer tag>.tmp`,
 * about 60 bytes more). Without this check a recipe with a 230-byte `save:` name or a 300-char
 * pass id paid for its node, then failed writing it (ENAMETOOLONG, exit 70). Pass ids and
 * source names are capped in names.ts; glob instance names are cut in sources/instance-names.ts.
 */
import type { Problem } from '../../errors.js';
import { fillSave } from '../../util/save-template.js';
import { setting } from '../draft.js';
import type { DocPath } from '../yaml/locate.js';
import type { Rule, RuleContext } from './context.js';

/** A folder name's limit (NAME_MAX). */
const MAX_FOLDER_BYTES = 255;
/** A written file's name, leaving room for its temp name within 255 bytes. */
const MAX_FILE_BYTES = 190;

const bytes = (s: string): number => Buffer.byteLength(s, 'utf8');

function tooLong(ctx: RuleContext, at: DocPath, what: string, segments: readonly string[], file: boolean) {
  const last = segments.length - 1;
  const i = segments.findIndex((s, k) => bytes(s) > (file && k === last ? MAX_FILE_BYTES : MAX_FOLDER_BYTES));
  const seg = segments[i];
  if (seg === undefined) return [];
  const isFile = file && i === last;
  const max = isFile ? MAX_FILE_BYTES : MAX_FOLDER_BYTES;
  return [
    ctx.report({
      code: 'path-length',
      path: at,
      message: `${what} has a ${isFile ? 'file' : 'folder'} name of ${bytes(seg)} bytes (at most ${max})`,
      hint: isFile
        ? 'file systems allow 255 bytes per name, and kontext writes through a temp file beside it; shorten the name'
        : 'file systems allow 255 bytes per name; shorten it',
    }),
  ];
}

/** The longest name `{source}` takes in this pass's nodes. */
function longestSource(ctx: RuleContext, passIndex: number): string {
  const root = ctx.graph.rootSource(passIndex);
  const source = root === null ? undefined : ctx.sources.get(root);
  if (source === undefined) return root ?? '';
  let longest = '';
  for (const i of source.instances) {
    const name = i.instance ?? source.name;
    if (name.length > longest.length) longest = name;
  }
  return longest;
}

export const pathLengths: Rule = (ctx) => {
  const out: Problem[] = [];
  if (ctx.draft.out !== undefined) out.push(...tooLong(ctx, ['out'], 'out:', ctx.draft.out.split(/[/\\]/), false));
  for (const pass of ctx.draft.passes) {
    const save = setting(ctx.draft, pass, 'save');
    if (save === undefined || pass.id === undefined) continue;
    // The longest each placeholder can be: the longest instance, a two-digit variant, `jpeg`.
    const filled = fillSave(save.value, { source: longestSource(ctx, pass.index), pass: pass.id, variant: 64 });
    out.push(...tooLong(ctx, save.path, 'save path', filled.replaceAll('{ext}', 'jpeg').split(/[/\\]/), true));
  }
  return out;
};
