/** Rules on names: pass ids, source names, the recipe name. */
import type { Problem } from '../../errors.js';
import { NAME_PATTERN } from '../schema.js';
import { toKebab, type Rule, type RuleContext } from './context.js';
import type { DocPath } from '../yaml/locate.js';
import { hidesText } from './hidden-text.js';
import { windowsNameFault } from './windows-names.js';

const PATH_CHARS = /[/\\]|^\.\.?$/;

/**
 * Pass ids and source names become folder and file names (`<out>/<pass>/<source>-v<k>.<ext>`),
 * the recipe name a folder: far under the 255-byte limit on a name (rules/path-lengths.ts).
 */
export const MAX_NAME = 64;
export const MAX_RECIPE_NAME = 100;

function lengthProblem(ctx: RuleContext, what: string, name: string, path: DocPath, max: number, key = false) {
  const size = Buffer.byteLength(name, 'utf8');
  if (size <= max) return undefined;
  return ctx.report({
    code: 'name-length',
    path,
    key,
    message: `${what} "${name.slice(0, 24)}…" is ${size} bytes long (at most ${max})`,
    hint: 'it becomes a file or folder name; shorten it',
  });
}

/** A name Windows cannot hold as a file or folder: a device name (`con`, `nul.x`), a trailing dot or space, `:`…. */
function reservedProblem(ctx: RuleContext, what: string, name: string, path: DocPath, key = false) {
  const fault = windowsNameFault(name);
  if (fault === undefined) return undefined;
  return ctx.report({
    code: 'name-reserved',
    path,
    key,
    message: {
      device: `${what} "${name}" is a device name on Windows`,
      trailing: `${what} "${name}" ends with a dot or space, which Windows drops`,
      char: `${what} "${name}" holds a character no Windows file name may (< > : " | ? *)`,
    }[fault],
    hint: 'it becomes a file or folder name, which must open on every system; rename it',
  });
}

function nameProblem(ctx: RuleContext, what: string, name: string, path: DocPath, key: boolean): Problem | undefined {
  if (NAME_PATTERN.test(name))
    return lengthProblem(ctx, what, name, path, MAX_NAME, key) ?? reservedProblem(ctx, what, name, path, key);
  const suggestion = toKebab(name);
  const hint = suggestion
    ? `${what}s are kebab-case and become file names; try "${suggestion}"`
    : `${what}s are kebab-case: lower-case letters, digits and dashes`;
  if (name === '') return ctx.report({ code: 'name-format', path, key, message: `${what} is empty` });
  const message = PATH_CHARS.test(name)
    ? `${what} "${name}" must not contain path characters`
    : `${what} "${name}" is not kebab-case`;
  return ctx.report({ code: 'name-format', path, key, message, hint });
}

/** Pass ids: kebab-case, no path characters, unique. */
export const passIds: Rule = (ctx) => {
  const out: Problem[] = [];
  const first = new Map<string, number>();
  for (const pass of ctx.draft.passes) {
    if (pass.id === undefined) continue;
    const path = ['passes', pass.index, 'id'];
    // A control character or bidi override is hidden-text.ts's to report, at the character.
    const bad = hidesText(pass.id) ? undefined : nameProblem(ctx, 'pass id', pass.id, path, false);
    if (bad) out.push(bad);
    const earlier = first.get(pass.id);
    if (earlier === undefined) {
      first.set(pass.id, pass.index);
      continue;
    }
    const where = ctx.locate(['passes', earlier, 'id']);
    out.push(
      ctx.report({
        code: 'duplicate-id',
        path,
        message: `duplicate pass id "${pass.id}"`,
        hint: `first used by passes[${earlier}]${where ? ` on line ${where.line}` : ''}; ids must be unique`,
      }),
    );
  }
  return out;
};

/** Source names: kebab-case, and never the same as a pass id (`from:` must name one thing). */
export const sourceNames: Rule = (ctx) => {
  const out: Problem[] = [];
  for (const source of ctx.draft.sources) {
    const bad = nameProblem(ctx, 'source name', source.name, ['sources', source.name], true);
    if (bad) out.push(bad);
    const clash = ctx.graph.passIndex.get(source.name);
    if (clash !== undefined) {
      out.push(
        ctx.report({
          code: 'name-clash',
          path: ['passes', clash, 'id'],
          message: `"${source.name}" is both a source and a pass id`,
          hint: 'rename one of them, so that from: names exactly one thing',
        }),
      );
    }
  }
  if (ctx.draft.sourcesIsMapping && ctx.draft.sources.length === 0) {
    out.push(
      ctx.report({
        code: 'no-sources',
        path: ['sources'],
        message: 'no sources',
        hint: 'add at least one input image, e.g. `photo: assets/photo.jpg`',
      }),
    );
  }
  return out;
};

/** The recipe name becomes the default output folder `out/<name>`: no path characters. */
export const recipeName: Rule = (ctx) => {
  const name = ctx.draft.name;
  if (name === undefined) return [];
  const long = lengthProblem(ctx, 'name', name, ['name'], MAX_RECIPE_NAME);
  if (long) return [long];
  if (hidesText(name)) return [];
  if (!/[/\\]|^\.\.?$/.test(name)) {
    const reserved = reservedProblem(ctx, 'name', name, ['name']);
    return reserved ? [reserved] : [];
  }
  return [
    ctx.report({
      code: 'name-format',
      path: ['name'],
      message: `name "${name}" must not contain path characters`,
      hint: 'the name is used as the default output folder, out/<name>',
    }),
  ];
};
