/** The output format a pass asks for, and the file extension it is saved under. */
import type { ModelEntry, OutputFormat } from './types.js';

const EXTENSIONS: Readonly<Record<OutputFormat, string>> = { png: 'png', jpeg: 'jpg', webp: 'webp' };

/** `jpeg` → `jpg`: the extension an output of `format` is saved with. */
export function extensionOf(format: OutputFormat): string {
  return EXTENSIONS[format];
}

/**
 * The output format `params` ask `entry` for (the provider's default when unset); `null` when
 * unknown (no entry, or a provider that does not say): the downloaded bytes decide.
 */
export function expectedOutputFormat(
  entry: ModelEntry | undefined,
  params: Readonly<Record<string, unknown>>,
): OutputFormat | null {
  if (!entry) return null;
  const parsed = entry.params.safeParse(params);
  return entry.outputFormat(parsed.success ? parsed.data : params);
}
