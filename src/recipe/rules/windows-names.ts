/**
 * Names a Windows checkout can hold. A recipe is shared, and Windows opens a device, not a file,
 * for `con`, `prn`, `aux`, `nul`, `com1`, `lpt1`… whatever the extension (`nul.txt`, `con .png`),
 * and drops a name's trailing dot or space (`final.` is `final`); `< > : " | ? *` are in no name
 * (git for Windows will not check such a path out). Derived names are made safe
 * (sources/instance-names.ts gives such an instance a `_`); pass ids, source names and the recipe
 * name are refused in names.ts; here the folder and file names a `save:` or `out:` writes as
 * written (`save: out/con.png`, `save: final/aux/{source}.{ext}`), before anything is paid.
 */
import type { Problem } from '../../errors.js';
import { fillSave } from '../../util/save-template.js';
import { setting } from '../draft.js';
import { classifySource } from '../sources/classify.js';
import { escapedGlob } from '../sources/glob-literal.js';
import { WINDOWS_RESERVED } from '../sources/instance-names.js';
import type { DocPath } from '../yaml/locate.js';
import type { Rule, RuleContext } from './context.js';

/**
 * Characters no Windows file name holds (control characters are the hidden-text rule's). git for
 * Windows refuses to check such a path out, so one output named so breaks a teammate's clone.
 */
const WINDOWS_FORBIDDEN = /[<>:"|?*]/;

/** Why Windows cannot hold `name` as a file or folder name; undefined when it can (`.` and `..` navigate). */
export function windowsNameFault(name: string): 'device' | 'trailing' | 'char' | undefined {
  if (name === '.' || name === '..' || name === '') return undefined;
  if (WINDOWS_FORBIDDEN.test(name)) return 'char';
  // `nul.tar.gz` and `con .png` are the device too: the part before the first dot, trailing spaces dropped.
  if (WINDOWS_RESERVED.test((name.split('.')[0] ?? '').replace(/ +$/, ''))) return 'device';
  return /[. ]$/.test(name) ? 'trailing' : undefined;
}

/** The names `{source}` takes in this pass's nodes. */
function sourceNames(ctx: RuleContext, passIndex: number): string[] {
  const root = ctx.graph.rootSource(passIndex);
  const source = root === null ? undefined : ctx.sources.get(root);
  if (source === undefined) return [root ?? 'source'];
  return [...new Set(source.instances.map((i) => i.instance ?? source.name))];
}

/** Each `/`- or `\`-separated part of `text` with its offset. */
function segments(text: string): { readonly name: string; readonly offset: number }[] {
  const out: { name: string; offset: number }[] = [];
  let start = 0;
  for (const part of text.split(/[/\\]/)) {
    out.push({ name: part, offset: start });
    start += part.length + 1;
  }
  return out;
}

const FAULT_WORDS = {
  device: 'a device name on Windows (whatever the extension)',
  trailing: 'which ends with a dot or space that Windows drops',
  char: 'which holds a character no Windows file name may (< > : " | ? *)',
} as const;

function faultProblem(ctx: RuleContext, at: DocPath, what: string, value: string, name: string, offset: number) {
  // A drive (`C:/exports`) too: an absolute path on Windows only; elsewhere a folder named `C:` in
  // the project, which a Windows clone cannot check out.
  const fault = windowsNameFault(name);
  if (fault === undefined) return undefined;
  return ctx.report({
    code: 'name-reserved',
    path: at,
    offset,
    message: `${what} "${value}" names "${name}", ${FAULT_WORDS[fault]}`,
    hint: 'the recipe may be checked out on Windows, where that name is not a file or folder; rename it',
  });
}

/** The first name of a `save:` template Windows cannot hold, placeholders filled as this pass's nodes fill them. */
function saveFault(ctx: RuleContext, at: DocPath, template: string, pass: string, passIndex: number) {
  const sources = sourceNames(ctx, passIndex);
  for (const seg of segments(template)) {
    const fills = seg.name.includes('{')
      ? sources.flatMap((source) =>
          [null, 1].map((variant) => fillSave(seg.name, { source, pass, variant }).replaceAll('{ext}', 'png')),
        )
      : [seg.name];
    for (const name of new Set(fills)) {
      const bad = faultProblem(ctx, at, 'save path', template, name, seg.offset);
      if (bad) return bad;
    }
  }
  return undefined;
}

export const windowsPathNames: Rule = (ctx) => {
  const out: Problem[] = [];
  const folder = ctx.draft.out;
  if (folder !== undefined) {
    for (const seg of segments(folder)) {
      const bad = faultProblem(ctx, ['out'], 'out:', folder, seg.name, seg.offset);
      if (bad) {
        out.push(bad);
        break;
      }
    }
  }
  for (const pass of ctx.draft.passes) {
    const save = setting(ctx.draft, pass, 'save');
    if (save === undefined) continue;
    const bad = saveFault(ctx, save.path, save.value, pass.id ?? 'pass', pass.index);
    if (bad) out.push(bad);
  }
  return out;
};

/**
 * A `\` in a path the recipe names: Windows reads it as a folder separator, Linux and macOS as
 * part of a file name, so `save: final\{source}.png` lands elsewhere on a teammate's Mac and
 * `assets\shoe.jpg` is not found there. Source globs are left alone (`\` escapes there).
 */
export const portableSeparators: Rule = (ctx) => {
  const paths: { at: DocPath; value: string | undefined; what: string }[] = [
    { at: ['out'], value: ctx.draft.out, what: 'output folder' },
    ...ctx.draft.passes.map((p) => {
      const save = setting(ctx.draft, p, 'save');
      return { at: save?.path ?? [], value: save?.value, what: 'save path' };
    }),
    ...ctx.draft.sources.map((s) => ({
      at: ['sources', s.name] as DocPath,
      value: s.spec !== undefined && classifySource(s.spec).kind === 'file' ? s.spec : undefined,
      // A file whose name holds the `\` (it resolved): "/" names another, a glob's `?` names it.
      what: ctx.sources.has(s.name) ? 'named file' : 'source',
    })),
  ];
  const seen = new Set<string>();
  return paths.flatMap(({ at, value, what }) => {
    const offset = value?.indexOf('\\') ?? -1;
    if (value === undefined || offset === -1 || seen.has(at.join('.'))) return [];
    seen.add(at.join('.'));
    return [
      ctx.report({
        code: 'path-backslash',
        path: at,
        offset,
        message:
          what === 'named file'
            ? `source "${value}" names a file holding a "\\", ` +
              'a name only Linux and macOS read so (Windows reads a folder)'
            : `${what} "${value}" separates folders with "\\", which only Windows reads so`,
        hint:
          what === 'named file'
            ? `name it with a glob, "?" in the "\\"'s place: ${globSpelling(escapedGlob(value))}`
            : 'write "/", which every system reads; on Linux and macOS "\\" is part of a file name',
      }),
    ];
  });
};

/** A glob as YAML takes it: plain, or in double quotes with its `\` escapes doubled. */
function globSpelling(glob: string): string {
  return glob.includes('\\') ? `"${glob.replace(/\\/g, '\\\\')}" in double quotes` : glob;
}
