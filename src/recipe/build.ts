/**
 * The resolved Recipe (types.ts) from a document that passed every check: defaults applied,
 * `from` resolved, paths absolute, sources expanded. Only called when there are no errors.
 */
import path from 'node:path';
import { ExitCode, KontextError, type Problem, type SourceLocation } from '../errors.js';
import { canonicalModelId } from '../models/registry.js';
import type { PassGraph } from './graph.js';
import type { PassDocument, RecipeDocument } from './schema.js';
import type { Pass, Recipe, Source } from './types.js';
import type { DocPath } from './yaml/locate.js';

export interface BuildInput {
  readonly doc: RecipeDocument;
  readonly graph: PassGraph;
  /** Resolved sources by name. */
  readonly sources: ReadonlyMap<string, Source>;
  readonly file: string;
  readonly displayPath: string;
  readonly projectRoot: string;
  readonly warnings: readonly Problem[];
  readonly locate: (path: DocPath) => SourceLocation | undefined;
}

/** `portrait.yml` → `portrait`. */
export function recipeStem(file: string): string {
  const base = path.basename(file);
  const dot = base.lastIndexOf('.');
  return dot > 0 ? base.slice(0, dot) : base;
}

/** The output folder of a recipe without `out:`, relative to its folder: `out/<name>`. */
export function defaultOutOf(draft: { readonly name?: string | undefined }, file: string): string {
  return path.join('out', draft.name ?? recipeStem(file));
}

export function buildRecipe(input: BuildInput): Recipe {
  const { doc, file } = input;
  const dir = path.dirname(file);
  const name = doc.name ?? recipeStem(file);
  const sources = Object.keys(doc.sources).flatMap((n) => {
    const s = input.sources.get(n);
    const location = input.locate(['sources', n]);
    return s ? [{ ...s, ...(location ? { location } : {}) }] : [];
  });
  return {
    file,
    displayPath: input.displayPath,
    dir,
    projectRoot: input.projectRoot,
    name,
    provider: doc.provider,
    model: canonicalModelId(doc.provider, doc.model),
    outDir: path.resolve(dir, doc.out ?? defaultOutOf(doc, file)),
    hosting: doc.hosting,
    ...(doc.hosting === undefined ? {} : { hostingAt: fieldsAt(input, ['hosting'], Object.keys(doc.hosting)) }),
    ...(doc.cache?.remote === undefined ? {} : { remote: doc.cache.remote }),
    sources,
    passes: doc.passes.map((p, i) => buildPass(input, p, i, dir)),
    warnings: input.warnings,
  };
}

/** Where each of `fields` under `at` is written. */
function fieldsAt(input: BuildInput, at: DocPath, fields: readonly string[]): Record<string, SourceLocation> {
  return Object.fromEntries(
    fields.flatMap((f) => {
      const location = input.locate([...at, f]);
      return location ? [[f, location]] : [];
    }),
  );
}

function buildPass(input: BuildInput, p: PassDocument, index: number, dir: string): Pass {
  const d = input.doc.defaults ?? {};
  const from = input.graph.inputs[index];
  // Validation refuses unresolved inputs, so this is a bug, not a user error.
  if (!from)
    throw new KontextError('E_INTERNAL', `pass "${p.id}" has no resolved input`, { exitCode: ExitCode.SOFTWARE });
  const save = p.save ?? d.save;
  const location = input.locate(['passes', index]);
  const promptLocation = input.locate(['passes', index, 'prompt']);
  const provider = p.provider ?? d.provider ?? input.doc.provider;
  return {
    id: p.id,
    prompt: p.prompt.trim(),
    from,
    seed: p.seed ?? d.seed,
    aspectRatio: p.aspect_ratio ?? d.aspect_ratio,
    variants: p.variants ?? d.variants ?? 1,
    ...(p.pick === undefined ? {} : { pick: p.pick }),
    save: save === undefined ? undefined : path.resolve(dir, save),
    model: canonicalModelId(provider, p.model ?? d.model ?? input.doc.model),
    provider,
    params: { ...d.params, ...p.params },
    ...maxChangeOf(p.max_change ?? d.max_change),
    ...(location ? { location } : {}),
    ...(promptLocation ? { promptLocation } : {}),
  };
}

/** `max_change: 25%` or `25` → `{ maxChange: 25 }` (the schema checked the form and range). */
function maxChangeOf(value: number | string | undefined): { maxChange?: number } {
  if (value === undefined) return {};
  return { maxChange: typeof value === 'number' ? value : Number.parseFloat(value) };
}
