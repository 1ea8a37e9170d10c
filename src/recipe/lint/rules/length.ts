import type { LintRule } from '../types.js';

/**
 * Over 80 words a prompt is no longer "one instruction plus a preservation lead-in": the seed's
 * verified prompts are 9–33 words, and a lead-in plus a detailed single change fits in ~50.
 * Longer prompts almost always carry several edits or a scene description (a generator's job).
 */
const LONG_PROMPT_MAX_WORDS = 80;
/** Catches long text without spaces (pasted data, long URLs) that the word count misses. */
const LONG_PROMPT_MAX_CHARS = 600;

/** What an empty prompt is told, `prompt: ""` or `prompt:` with nothing after it (zod-issues.ts). */
export const EMPTY_PROMPT = {
  message: 'the prompt is empty; Kontext needs one edit instruction',
  hint: 'say the one change to make, e.g. "Keep the person\'s face unchanged. Add a red scarf."',
} as const;

export const emptyPrompt: LintRule = {
  id: 'empty-prompt',
  description: 'the prompt is empty or only whitespace',
  check(prompt) {
    if (prompt.trim() !== '') return [];
    return [{ rule: 'empty-prompt', ...EMPTY_PROMPT, offset: 0, error: true }];
  },
};

export const longPrompt: LintRule = {
  id: 'long-prompt',
  description: `the prompt is over ${LONG_PROMPT_MAX_WORDS} words (or ${LONG_PROMPT_MAX_CHARS} characters)`,
  check(prompt) {
    const words = [...prompt.matchAll(/\S+/g)];
    const extra = words[LONG_PROMPT_MAX_WORDS];
    if (extra === undefined && prompt.length <= LONG_PROMPT_MAX_CHARS) return [];
    const size =
      extra !== undefined
        ? `${words.length} words (limit ${LONG_PROMPT_MAX_WORDS})`
        : `${prompt.length} characters (limit ${LONG_PROMPT_MAX_CHARS})`;
    return [
      {
        rule: 'long-prompt',
        message: `the prompt is ${size}; long prompts dilute the one edit Kontext should make`,
        hint: 'keep a preservation lead-in and one change; move the other changes to later passes',
        offset: extra?.index ?? LONG_PROMPT_MAX_CHARS,
      },
    ];
  },
};
