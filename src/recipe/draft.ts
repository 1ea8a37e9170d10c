/**
 * A lenient, typed view of the raw document for the semantic rules. Each field is kept only
 * when it has the right primitive type (the zod schema reports the others), so the rules can
 * run — and report — even when the schema check fails elsewhere in the file.
 */
import { DEFAULT_MODEL } from './models.js';
import type { DocPath } from './yaml/locate.js';

export interface DraftSettings {
  readonly seed?: number | undefined;
  readonly aspect_ratio?: string | undefined;
  readonly variants?: number | undefined;
  readonly save?: string | undefined;
  readonly model?: string | undefined;
  readonly params?: Readonly<Record<string, unknown>> | undefined;
}

export interface DraftPass extends DraftSettings {
  readonly index: number;
  readonly id?: string | undefined;
  readonly prompt?: string | undefined;
  readonly from?: string | undefined;
  /** `pick:` (pass only, never in `defaults:`). */
  readonly pick?: number | undefined;
}

interface DraftSource {
  readonly name: string;
  readonly spec?: string | undefined;
}

export interface Draft {
  readonly name?: string | undefined;
  /** Top-level model (the default when absent or not a string). */
  readonly model: string;
  readonly out?: string | undefined;
  readonly defaults: DraftSettings;
  readonly sources: readonly DraftSource[];
  /** `sources:` is a mapping (possibly empty), as opposed to missing or mistyped. */
  readonly sourcesIsMapping: boolean;
  readonly passes: readonly DraftPass[];
}

type Obj = Readonly<Record<string, unknown>>;

function isObj(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
const str = (o: Obj, k: string): string | undefined => (typeof o[k] === 'string' ? (o[k] as string) : undefined);
const num = (o: Obj, k: string): number | undefined => (typeof o[k] === 'number' ? (o[k] as number) : undefined);

function settings(o: Obj): DraftSettings {
  const params = o['params'];
  return {
    seed: num(o, 'seed'),
    aspect_ratio: str(o, 'aspect_ratio'),
    variants: num(o, 'variants'),
    save: str(o, 'save'),
    model: str(o, 'model'),
    params: isObj(params) ? params : undefined,
  };
}

export function makeDraft(data: unknown): Draft {
  const root: Obj = isObj(data) ? data : {};
  const sources = isObj(root['sources']) ? Object.entries(root['sources']) : [];
  const passes = Array.isArray(root['passes']) ? (root['passes'] as unknown[]) : [];
  return {
    name: str(root, 'name'),
    model: str(root, 'model') ?? DEFAULT_MODEL,
    out: str(root, 'out'),
    defaults: isObj(root['defaults']) ? settings(root['defaults']) : {},
    sources: sources.map(([name, spec]) => ({ name, spec: typeof spec === 'string' ? spec : undefined })),
    sourcesIsMapping: isObj(root['sources']),
    passes: passes.map((p, index) => {
      const o: Obj = isObj(p) ? p : {};
      return {
        index,
        id: str(o, 'id'),
        prompt: str(o, 'prompt'),
        from: str(o, 'from'),
        pick: num(o, 'pick'),
        ...settings(o),
      };
    }),
  };
}

export type SettingKey = keyof DraftSettings;

/** A pass setting after defaults, with the path where it was written. */
export function setting<K extends SettingKey>(
  draft: Draft,
  pass: DraftPass,
  key: K,
): { readonly value: NonNullable<DraftSettings[K]>; readonly path: DocPath } | undefined {
  const own = pass[key];
  if (own !== undefined && own !== null)
    return { value: own as NonNullable<DraftSettings[K]>, path: ['passes', pass.index, key] };
  const inherited = draft.defaults[key];
  if (inherited !== undefined && inherited !== null)
    return { value: inherited as NonNullable<DraftSettings[K]>, path: ['defaults', key] };
  return undefined;
}

/** The model a pass runs on: its own, else `defaults.model`, else the recipe's. */
export function passModel(draft: Draft, pass: DraftPass): string {
  return setting(draft, pass, 'model')?.value ?? draft.model;
}
