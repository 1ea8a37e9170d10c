import type { LintRule } from '../types.js';
import { maskQuoted, quoted } from '../text.js';

const B = String.raw`(?<![\p{L}\p{N}'’-])`;
const E = String.raw`(?![\p{L}\p{N}'’-])`;
const QUALIFIER = '(?:input|reference|source|uploaded|attached)';
const ORDINAL = 'second|third|fourth|fifth|2nd|3rd|4th|5th|other|another';

/** Phrases that only make sense with several input images. */
const PHRASES = [
  // "the second image", "the other input photo": bare photo/picture may be scene content
  // ("another photo frame"), so those need a qualifier.
  String.raw`(?:${ORDINAL})\s+(?:(?:${QUALIFIER}\s+)?(?:image|img)|${QUALIFIER}\s+(?:photo|picture))`,
  String.raw`(?:both|these|those|all|multiple|several|two|three|four)\s+(?:${QUALIFIER}\s+)?(?:images|imgs)`,
  String.raw`${QUALIFIER}\s+(?:images|photos|pictures)`,
  String.raw`both\s+(?:photos|pictures)`,
].map((p) => new RegExp(`${B}${p}${E}`, 'gu'));

/** Numbered references: "image 2", "img2", "photo #3", "@image2". */
const NUMBERED = new RegExp(`${B}@?(?:image|img|photo|picture|pic)[ _#-]?(\\d{1,2})(?!\\d)`, 'gu');
const URL = /\bhttps?:\/\/[^\s"'<>]+|\bdata:image\//giu;

interface Signal {
  text: string;
  offset: number;
}

/** Where the prompt first shows it is written for several images, if it does. */
function firstSignal(prompt: string): Signal | undefined {
  const masked = maskQuoted(prompt);
  const signals: Signal[] = PHRASES.flatMap((re) => [...masked.matchAll(re)]).map((m) => ({
    text: quoted(prompt, m),
    offset: m.index,
  }));
  // "image 2" implies an image 1; a lone "image 1" does not imply an image 2.
  const beyondFirst = [...masked.matchAll(NUMBERED)].find((m) => Number(m[1]) >= 2);
  if (beyondFirst !== undefined) signals.push({ text: quoted(prompt, beyondFirst), offset: beyondFirst.index });
  // URLs are read from the raw prompt: they are often quoted.
  const second = [...prompt.matchAll(URL)][1];
  if (second !== undefined) signals.push({ text: 'several image URLs', offset: second.index });
  return signals.sort((a, b) => a.offset - b.offset)[0];
}

/**
 * Kontext edits one input image per pass; prompts written for several ("put the woman from
 * image 1 into image 2", "both images") cannot be honoured and drift.
 */
export const multipleImages: LintRule = {
  id: 'multiple-images',
  description: 'refers to several images in one pass ("image 2", "both images"); Kontext takes one',
  check(prompt) {
    const signal = firstSignal(prompt);
    if (signal === undefined) return [];
    return [
      {
        rule: 'multiple-images',
        message: `refers to several images ("${signal.text}"); Kontext edits a single input image per pass`,
        hint:
          "make the primary image this pass's input (`from`) and describe the rest in words, or chain passes; " +
          'multi-image compositing needs a multi-image model (e.g. Nano Banana Edit)',
        offset: signal.offset,
      },
    ];
  },
};
