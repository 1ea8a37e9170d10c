/**
 * Checking a pass's `params` against its model entry: unknown keys (with a did-you-mean), bad
 * values (with the schema's reason); and the body a client sends (defaults applied).
 */
import type { z } from 'zod';
import { ExitCode, KontextError } from '../errors.js';
import { closest } from '../util/did-you-mean.js';
import type { EditInputs, ModelEntry } from './types.js';

export interface ParamIssue {
  /** The offending key (`params.<key>`). */
  readonly key: string;
  /** The key itself is unknown (point at the key), as opposed to a bad value (point at the value). */
  readonly unknownKey: boolean;
  /** The whole finding, naming the key (`params.seed: ...`, `unknown param "x" for ...`). */
  readonly message: string;
  /** The same without the key, for messages already prefixed with its path. */
  readonly reason: string;
  readonly hint?: string | undefined;
}

/** The keys `entry` accepts in `params`. */
function paramKeysOf(entry: ModelEntry): string[] {
  return Object.keys(entry.params.shape);
}

/**
 * Every problem with `params` for `entry`, in key order; `[]` when they are fine. `provider`: the
 * one the recipe named, which messages name (the emulator runs the runcomfy entries).
 */
export function checkParams(
  entry: ModelEntry,
  params: Readonly<Record<string, unknown>>,
  provider: string = entry.provider,
): ParamIssue[] {
  const result = entry.params.safeParse(params);
  if (result.success) return [];
  const known = paramKeysOf(entry);
  const where = `${entry.id} on ${provider}`;
  return result.error.issues.flatMap((issue): ParamIssue[] => {
    if (issue.code === 'unrecognized_keys')
      return issue.keys.map((key) => {
        const near = closest(key, known);
        const list = known.length > 0 ? `known: ${known.join(', ')}` : 'it takes no params';
        const reason = `unknown param "${key}" for ${where}`;
        return {
          key,
          unknownKey: true,
          message: reason,
          reason,
          hint: `${near === undefined ? '' : `did you mean "${near}"? `}${list}`,
        };
      });
    const key = String(issue.path[0] ?? '');
    const reason = `${valueReason(issue)} (${where})`;
    return [{ key, unknownKey: false, message: `params.${key}: ${reason}`, reason }];
  });
}

/** A model file's own message wins; zod's stock "Invalid option: ..." and "Too big: ..." are reworded. */
function valueReason(issue: z.core.$ZodIssue): string {
  if (issue.code === 'invalid_value' && issue.message.startsWith('Invalid'))
    return `must be one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}`;
  // zod's stock "Too big: expected number to be <=6" (walk-r 5), in the recipe's own words.
  if ((issue.code === 'too_big' || issue.code === 'too_small') && issue.message.startsWith('Too')) {
    const big = issue.code === 'too_big';
    const bound = big ? issue.maximum : issue.minimum;
    const inclusive = issue.inclusive !== false;
    return `must be ${big ? '<' : '>'}${inclusive ? '=' : ''} ${String(bound)}`;
  }
  return issue.message;
}

/**
 * The provider's request body for one edit on `entry`: prompt, image, seed and aspect ratio under
 * the entry's field names, then the params with their defaults. Throws on params the
 * recipe rules would have refused.
 */
export function buildInput(entry: ModelEntry, inputs: EditInputs): Record<string, unknown> {
  const parsed = entry.params.safeParse(inputs.params ?? {});
  if (!parsed.success) {
    const first = checkParams(entry, inputs.params ?? {})[0];
    throw new KontextError('E_PARAMS', first?.message ?? `invalid params for ${entry.id} on ${entry.provider}`, {
      exitCode: ExitCode.DATA_ERR,
      ...(first?.hint ? { hint: first.hint } : {}),
    });
  }
  const ratio = inputs.aspectRatio ?? entry.aspectRatioWhenOmitted;
  return {
    [entry.fields.prompt]: inputs.prompt,
    [entry.image.field]: inputs.image,
    ...(inputs.seed === undefined ? {} : { [entry.fields.seed]: inputs.seed }),
    ...(ratio === undefined ? {} : { [entry.fields.aspectRatio]: ratio }),
    ...parsed.data,
  };
}
