/**
 * The shape of one model-table entry: everything kontext knows about one (provider, model)
 * endpoint, as data. Clients (src/providers/<name>/) build requests and read results through
 * it; the recipe rules check `params` and aspect ratios against it; `kontext providers` lists it.
 * See docs/architecture.md#models.
 */
import type { z } from 'zod';

/** A strict zod object: unknown keys are refused. */
type ParamsSchema = z.ZodObject<z.ZodRawShape, z.core.$strict>;

/** Every provider a recipe may name. */
export const PROVIDER_NAMES = ['runcomfy', 'emulator', 'bfl', 'fal', 'replicate'] as const;
export type ProviderName = (typeof PROVIDER_NAMES)[number];

/** Providers with a table of their own; the emulator speaks RunComfy's protocol and uses its entries. */
export type TableProvider = Exclude<ProviderName, 'emulator'>;

/** How an input image may travel in the request body. */
type ImagePassing = 'url' | 'data-uri' | 'raw-base64';

/** The output image formats a provider can be asked for (`jpeg` is saved as `.jpg`). */
export type OutputFormat = 'png' | 'jpeg' | 'webp';

interface ImageInput {
  /** Body field that carries the input image (`image_url`, `input_image`). */
  readonly field: string;
  /** Accepted forms, preferred first. */
  readonly accepts: readonly ImagePassing[];
  /** Largest inline image (data URI or raw base64, decoded bytes) we send; `null`: no inline form. */
  readonly inlineMaxBytes: number | null;
  /**
   * The image media types the provider documents for its input (`image/jpeg`...): another is
   * refused before it is sent (exit 65), as the API would be paid to fail on it. `null`: none
   * documented, every kind the hosting check accepts is sent.
   */
  readonly mediaTypes: readonly string[] | null;
  /** Where the limits come from, and what is unconfirmed. */
  readonly note: string;
}

/** The provider-neutral inputs of one edit, before they become the provider's body. */
export interface EditInputs {
  readonly prompt: string;
  /** A URL, data URI or raw base64 — already in a form `image.accepts` allows. */
  readonly image: string;
  readonly seed?: number | undefined;
  readonly aspectRatio?: string | undefined;
  /** The recipe's `params`, validated (see `parseParams`). */
  readonly params?: Readonly<Record<string, unknown>> | undefined;
}

/** What a finished request's result JSON yields. */
interface ResultReading {
  readonly outputUrls: readonly string[];
  /** The seed the provider reports it used, when it reports one. */
  readonly seed?: number | undefined;
}

export interface ModelEntry {
  readonly provider: TableProvider;
  /** Our model id (RunComfy-style, the same on every host): `blackforestlabs/flux-1-kontext/pro/edit`. */
  readonly id: string;
  /** Short names a recipe may use instead (`flux-kontext-pro`); the provider's endpoint id is accepted too. */
  readonly aliases: readonly string[];
  /** Human name for listings. */
  readonly title: string;
  /** The provider's own id or path for this model (`/v1/flux-kontext-pro`, `fal-ai/flux-pro/kontext`, ...). */
  readonly endpoint: string;
  /** Body field names of the inputs every edit has. */
  readonly fields: { readonly prompt: string; readonly seed: string; readonly aspectRatio: string };
  readonly image: ImageInput;
  /** Aspect ratios the model accepts, `W:H`. */
  readonly aspectRatios: readonly string[];
  /** Sent when the recipe sets no aspect ratio (Replicate: `match_input_image`); absent: the field is omitted. */
  readonly aspectRatioWhenOmitted?: string | undefined;
  /** The extra `params` a recipe may set: a strict zod object, defaults applied by `parse`. */
  readonly params: ParamsSchema;
  /** Whether the result says which seed was used (otherwise send one to know it). */
  readonly returnsSeed: boolean;
  /** Output URLs (and seed) from the provider's final result JSON. */
  readonly readResult: (result: unknown) => ResultReading;
  /** The output format the params ask for (after defaults); `null` when the provider does not say. */
  readonly outputFormat: (params: Readonly<Record<string, unknown>>) => OutputFormat | null;
  /** USD per output image; `'catalog'`: ask the provider (RunComfy's `GET /v1/models/{id}`). */
  readonly priceUsd: number | 'catalog';
  /** Facts about this endpoint that no primary source confirms (the schema is permissive there). */
  readonly unconfirmed: readonly string[];
}
