/**
 * The output format a RunComfy submit asked for (`output_format`: jpeg, png or webp; anything else,
 * or none, is PNG, what the transform renders). Its output URL ends in that format's extension and
 * the download is converted once (protocols/bfl-fal-wire.ts `outputIn`), as BFL's and fal's are.
 */
import type { Job } from './jobs.js';
import { extensionOf, type OutputFormat } from './protocols/bfl-fal-wire.js';

const formats = new WeakMap<Job, OutputFormat>();

/** Remember what `body.output_format` asked of `job`. */
export function askFormat(job: Job, asked: unknown): void {
  if (asked === 'jpeg' || asked === 'webp' || asked === 'png') formats.set(job, asked);
}

/** The format `job`'s output is served in. */
export function formatOf(job: Job): OutputFormat {
  return formats.get(job) ?? 'png';
}

/** The output's file name in its URL: `output.png`, `output.jpg`, `output.webp`. */
export function outputFileOf(job: Job): string {
  return `output.${extensionOf(formatOf(job))}`;
}
