/**
 * Which remote cache a run uses, and whether it may upload there. `KONTEXT_REMOTE_CACHE` wins,
 * then the recipe's `cache.remote`, then the user config's; `--no-remote` turns it off.
 *
 * Trust: reading from a bucket the recipe names costs at most a download that is checked
 * (the record must hash to the very key asked for, the blob to its record), but uploading there
 * would send this user's outputs to a bucket the recipe's author chose. So a recipe's remote is
 * used for uploads only when the user config names the same bucket, or with
 * `--trust-recipe-hosting` (the flag that trusts a recipe's destinations); otherwise it is
 * read-only, said once.
 */
import { parseRemoteUrl, type RemoteLocation } from './location.js';

const REMOTE_ENV = 'KONTEXT_REMOTE_CACHE';

export interface RemoteChoice {
  readonly location: RemoteLocation;
  /** May results be uploaded? */
  readonly upload: boolean;
  readonly from: 'env' | 'recipe' | 'user';
  /** A one-line notice for the run (a recipe's remote used read-only). */
  readonly notice: string | null;
}

export interface RemoteInputs {
  readonly env: Readonly<Record<string, string | undefined>>;
  /** The recipe's `cache.remote`. */
  readonly recipe?: string | undefined;
  /** The user config's `cache.remote`. */
  readonly user?: string | undefined;
  /** `--no-remote`. */
  readonly off?: boolean | undefined;
  /** `--trust-recipe-hosting`. */
  readonly trustRecipe?: boolean | undefined;
  /** How messages name the recipe. */
  readonly recipeFile: string;
}

export function chooseRemote(inputs: RemoteInputs): RemoteChoice | null {
  if (inputs.off === true) return null;
  const fromEnv = inputs.env[REMOTE_ENV];
  if (fromEnv !== undefined && fromEnv.trim() !== '')
    return { location: parseRemoteUrl(fromEnv, REMOTE_ENV), upload: true, from: 'env', notice: null };
  const user = inputs.user === undefined ? null : parseRemoteUrl(inputs.user, 'user config: cache.remote');
  if (inputs.recipe === undefined)
    return user === null ? null : { location: user, upload: true, from: 'user', notice: null };
  const location = parseRemoteUrl(inputs.recipe, `${inputs.recipeFile}: cache.remote`);
  const upload = inputs.trustRecipe === true || user?.bucket === location.bucket;
  const notice = upload
    ? null
    : `remote cache ${location.url} is named by ${inputs.recipeFile}: used read-only (to upload your results ` +
      'there, name the same bucket in your user config or pass --trust-recipe-hosting)';
  return { location, upload, from: 'recipe', notice };
}
