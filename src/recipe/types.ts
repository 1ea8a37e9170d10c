/**
 * The validated, resolved recipe: what `loadRecipe` returns and the planner consumes.
 * Paths are absolute; defaults are applied; `from` is resolved; globs are expanded.
 * (The raw document shape lives in `schema.ts`, generated into schemas/recipe.schema.json.)
 */
import type { Problem, SourceLocation } from '../errors.js';
import type { ProviderName } from '../models/types.js';

export type { ProviderName } from '../models/types.js';

/** The `hosting:` block, as validated (strategies live in src/hosting). */
export type HostingConfig =
  | { readonly mode: 'inline' }
  | {
      readonly mode: 's3';
      readonly bucket: string;
      readonly prefix?: string | undefined;
      readonly region?: string | undefined;
      readonly endpoint?: string | undefined;
      readonly force_path_style?: boolean | undefined;
      readonly public_base_url?: string | undefined;
      readonly presign_ttl_seconds?: number | undefined;
      readonly profile?: string | undefined;
    }
  | {
      readonly mode: 'command';
      readonly command: string | readonly string[];
      readonly timeout_seconds?: number | undefined;
      /** How long a URL the command printed is reused (default 3600; 0 = never reuse). */
      readonly url_ttl_seconds?: number | undefined;
    };

/** One concrete input of a source: a file on disk or a remote URL. */
export interface SourceInstance {
  /** File stem for glob matches (made unique), `null` for a plain file or URL source. */
  readonly instance: string | null;
  /** Absolute path of a local file. */
  readonly path?: string;
  /** An https URL the provider fetches itself. */
  readonly url?: string;
}

export interface Source {
  readonly name: string;
  readonly kind: 'file' | 'url' | 'glob';
  /** The value as written in the recipe. */
  readonly spec: string;
  readonly instances: readonly SourceInstance[];
  readonly location?: SourceLocation;
}

export type PassInput =
  | { readonly kind: 'source'; readonly name: string }
  /** `variant`: `from: <pass>#<k>` takes only variant k of that pass. */
  | { readonly kind: 'pass'; readonly id: string; readonly variant?: number | undefined };

export interface Pass {
  readonly id: string;
  readonly prompt: string;
  readonly from: PassInput;
  /** Fixed seed from the recipe (after defaults), if any. Variants use seed, seed+1, ... */
  readonly seed?: number | undefined;
  readonly aspectRatio?: string | undefined;
  readonly variants: number;
  /** `pick: k`: passes that take their input from this one get only variant k. */
  readonly pick?: number | undefined;
  /** `save:` template, resolved against the recipe folder; placeholders still in it. */
  readonly save?: string | undefined;
  /** Our model id (an alias or endpoint id in the recipe is resolved: see src/models/registry.ts). */
  readonly model: string;
  /**
   * Where this pass runs: its own `provider:`, else `defaults.provider`, else the recipe's
   * (always set by loading; absent only on hand-built passes, which run on the recipe's).
   */
  readonly provider?: ProviderName | undefined;
  readonly params: Readonly<Record<string, unknown>>;
  /** `max_change` (after defaults) as a percentage 0..100: more changed pixels is a drift warning. */
  readonly maxChange?: number | undefined;
  /** Where the pass starts in the recipe (its `- id:` line). */
  readonly location?: SourceLocation;
  /** Where the prompt value starts (for lint warnings). */
  readonly promptLocation?: SourceLocation;
}

export interface Recipe {
  /** Absolute path of the recipe file. */
  readonly file: string;
  /** The path as the user typed it: used in every message. */
  readonly displayPath: string;
  /** Folder of the recipe file: relative paths resolve against it. */
  readonly dir: string;
  /** Nearest folder with `.git` above the recipe, else the working directory. */
  readonly projectRoot: string;
  readonly name: string;
  readonly provider: ProviderName;
  readonly model: string;
  /** Absolute output folder. */
  readonly outDir: string;
  readonly hosting?: HostingConfig | undefined;
  /** Where each field of `hosting:` is written: an untrusted one is refused there (hosting/trust.ts). */
  readonly hostingAt?: Readonly<Record<string, SourceLocation>> | undefined;
  /** `cache.remote`: the recipe's shared remote cache, `s3://bucket/prefix` (src/remote). */
  readonly remote?: string | undefined;
  readonly sources: readonly Source[];
  /** In recipe order. */
  readonly passes: readonly Pass[];
  /** Lint warnings (and, with `strict`, nothing: they become errors). */
  readonly warnings: readonly Problem[];
}
