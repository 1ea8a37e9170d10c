/**
 * Prompt lint findings → Problems: warnings (`lint/<rule>`), errors under `--strict`, located at
 * the prompt — on the exact line and column when the finding has an offset the YAML allows us
 * to map (literal blocks, single-line scalars).
 */
import type { Document, LineCounter } from 'yaml';
import { ExitCode, type Problem } from '../errors.js';
import type { Draft } from './draft.js';
import { firstHiddenChar } from '../util/hidden-chars.js';
import { lintPrompt } from './lint/index.js';
import { hiddenCharText } from './rules/hidden-text.js';
import { formatPath, makeLocation } from './report.js';
import { locateInString } from './yaml/scalar-offset.js';

export interface LintInput {
  readonly draft: Draft;
  readonly doc: Document;
  readonly lines: LineCounter;
  readonly text: string;
  readonly displayPath: string;
  readonly strict: boolean;
}

export function lintProblems(input: LintInput): Problem[] {
  const out: Problem[] = [];
  for (const pass of input.draft.passes) {
    if (pass.prompt === undefined) continue;
    const path = ['passes', pass.index, 'prompt'] as const;
    for (const f of lintPrompt(pass.prompt)) {
      const pos = locateInString(input.doc, input.lines, input.text, path, f.offset ?? 0);
      const location = makeLocation(input.displayPath, pos);
      out.push({
        code: `lint/${f.rule}`,
        severity: input.strict || f.error === true ? 'error' : 'warning',
        message: `${formatPath(path)}: ${f.message}`,
        ...(f.hint === undefined ? {} : { hint: f.hint }),
        ...(location === undefined ? {} : { location }),
        path,
        exitCode: ExitCode.DATA_ERR,
      });
    }
  }
  return out;
}

/**
 * Lint a prompt given on the command line (`kontext edit --prompt`): problems named after the flag,
 * no location. A control character, bidi control or invisible character a prompt may not hold is an
 * error, as in a recipe (rules/hidden-text.ts).
 */
export function promptProblems(
  prompt: string,
  options: { readonly strict: boolean; readonly label: string },
): Problem[] {
  const hidden = firstHiddenChar(prompt, 'text');
  if (hidden !== null) {
    const text = hiddenCharText(`${options.label}:`, hidden, 'text', ` at character ${hidden.index + 1}`);
    return [
      {
        code: text.code,
        severity: 'error',
        message: text.message,
        hint: text.hint,
        exitCode: ExitCode.DATA_ERR,
      },
    ];
  }
  return lintPrompt(prompt).map((f) => ({
    code: `lint/${f.rule}`,
    severity: options.strict || f.error === true ? 'error' : 'warning',
    message: `${options.label}: ${f.message}`,
    ...(f.hint === undefined ? {} : { hint: f.hint }),
    exitCode: ExitCode.DATA_ERR,
  }));
}
