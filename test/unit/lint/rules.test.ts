import { describe, expect, it } from 'vitest';
import { LINT_RULES, lintPrompt } from '../../../src/recipe/lint/index.js';
import type { LintFinding, LintRule } from '../../../src/recipe/lint/index.js';

const ids = (findings: LintFinding[]) => findings.map((f) => f.rule).sort();
const rule = (id: string): LintRule => {
  const found = LINT_RULES.find((r) => r.id === id);
  if (found === undefined) throw new Error(`no rule ${id}`);
  return found;
};

/** The seed's verified prompts (the Flux Kontext prompting guide's "Sample prompts" and "How to invoke"). */
const SEED_GOOD = [
  // The page example: declarative "is now …", no preservation lead-in, deliberately NOT flagged.
  'She is now holding an orange umbrella and smiling',
  "Keep the person's face, pose, and clothing unchanged. Add an orange umbrella in her left hand and a slight smile.",
  'Keep the bottle silhouette, table, and lighting exactly as in the input.\n' +
    'Replace only the brand text on the label, from "ALPHA" to "AURA".\nSame font weight, white on black, centered.',
  "Keep the person's face, pose, and clothing unchanged. Add a leather\n" +
    'shoulder bag, dark brown, hanging on the right shoulder.',
  'Keep the bottle, label, and lighting unchanged. Replace the brand text on the label from "ALPHA" to "AURA".',
];

/** Realistic well-written prompts: warnings here would only annoy users. */
const REALISTIC_GOOD = [
  'Replace the background with a plain white studio backdrop.',
  'Change the background to a sunny beach at golden hour, keeping the person in the exact same position, scale, ' +
    'and pose.',
  "Keep the woman's face, hairstyle, and pose unchanged. Change her jacket to a deep red wool coat.",
  "Change the woman's jacket to red while keeping her face, hair, and pose exactly the same.",
  'Keep the bottle shape, cap, and lighting exactly as in the input. Replace the text on the label from "CITRUS" ' +
    'to "LEMON".',
  'Replace the "SALE" sign with one that reads "NEW". Keep everything else unchanged.',
  'Keep the product and its label unchanged. Relight the scene with soft, warm studio light from the left.',
  'Relight the product with a single softbox from the top right; keep the label and the bottle shape intact.',
  'Keep the sneaker exactly as in the input. Place it on a polished concrete floor with a soft shadow.',
  'Keep the mug, its logo, and the table unchanged. Add soft morning light coming through a window on the right.',
  'He is now wearing a navy blue suit and a white shirt.',
  "Keep the man's face and expression unchanged. Give him a short, neatly trimmed beard.",
  'Turn the daytime street scene into a rainy night with reflections on the pavement.',
  "Keep the model's identity, pose, and framing intact. Recolor the dress to emerald green, same fabric and cut.",
  'Keep the cup and saucer unchanged. Change the tablecloth to red and white gingham.',
  'Keep the package design unchanged. Remove the price sticker from the top left corner.',
  'Keep the label text and the bottle unchanged; swap the wooden table for a marble countertop.',
  'Keep the perfume bottle, cap, and reflections as they are. Change the background to a soft pink gradient.',
  'Keep her face, pose and clothing the same. Add two framed photos on the wall behind her.',
  'Keep the portrait exactly as in the original photo. Blur the background slightly, like a shallow depth of field.',
  'Keep the person\'s face unchanged. Add a sign that appears to be painted by hand, reading "OPEN".',
  'Replace the hat with a straw cap. Change nothing else.',
  'The woman is dressed in a red coat and her bag is made of leather.',
  'Keep the face, pose and turn of the head unchanged. Make the sky orange.',
  // verb-looking nouns inside a kept list are part of the list, not edits
  'Keep the pose, paint color and lighting unchanged. Replace the wall with red brick.',
  'Keep the dashboard, turn signal and shift knob unchanged. Replace the steering wheel with a wooden one.',
];

describe('lintPrompt: good prompts stay silent', () => {
  it.each([...SEED_GOOD, ...REALISTIC_GOOD])('%s', (prompt) => {
    expect(lintPrompt(prompt)).toEqual([]);
  });
});

/** Bad prompts: the seed's anti-patterns and our own; exactly these rule ids fire. */
const BAD: [string, string[]][] = [
  ['change A and add B and remove C', ['compound-edit']],
  ['Change the background to a beach, add a hat, then remove the glasses.', ['compound-edit']],
  ['Change the jacket to red. Add a scarf.', ['compound-edit']],
  ['Keep her face unchanged, change the jacket to red and add a scarf', ['compound-edit']],
  ['Keep the face, change the background and add a hat, leaving everything else unchanged', ['compound-edit']],
  ['Keep the logo, replace the slogan and add a sticker', ['compound-edit']],
  ['1. Add a hat\n2. Remove the glasses', ['compound-edit']],
  ['The background should be replaced with a beach', ['passive-voice']],
  ['the jacket is changed to red', ['passive-voice']],
  ['text was removed', ['passive-voice']],
  ['Keep the face unchanged, and the background needs to be made brighter', ['passive-voice']],
  ['Her hair should be changed to blond.', ['missing-preservation', 'passive-voice']],
  ['Make her hair blond', ['missing-preservation']],
  ['Replace the label text with "NEW"', ['missing-preservation']],
  ['Put the woman from image 1 into the background of image 2', ['missing-preservation', 'multiple-images']],
  ['Swap the face with the one in @image2', ['missing-preservation', 'multiple-images']],
  ['Combine both images into one scene', ['multiple-images']],
  ['Blend the reference images together', ['multiple-images']],
  ['Use the sky from https://a.example/1.jpg over https://b.example/2.jpg', ['multiple-images']],
  ['   \n\t', ['empty-prompt']],
  ['', ['empty-prompt']],
];

describe('lintPrompt: bad prompts fire exactly the expected rules', () => {
  it.each(BAD)('%s', (prompt, expected) => {
    expect(ids(lintPrompt(prompt))).toEqual([...expected].sort());
  });
});

/** Each rule on its own, both ways: [rule id, prompts that fire, prompts that do not]. */
const PER_RULE: [string, string[], string[]][] = [
  ['empty-prompt', ['', '  ', '\n\t\n'], ['Add a hat.', '.']],
  [
    'long-prompt',
    [Array.from({ length: 81 }, () => 'word').join(' '), `Replace the sky with ${'x'.repeat(600)}`],
    [Array.from({ length: 80 }, () => 'word').join(' '), SEED_GOOD[2] ?? ''],
  ],
  [
    'compound-edit',
    [
      'Add a hat and make it red',
      'Please change the sky to dusk and then also add stars',
      '- add a hat\n- remove the glasses',
    ],
    [
      'Add an orange umbrella in her left hand and a slight smile.',
      'Keep the face, pose, and clothing unchanged. Remove the glasses.',
      'Replace the text "ADD TO CART, REMOVE ITEM" with "BUY".',
      "Don't change her face. Make her smile.",
      'Make sure the logo stays centered. Replace the slogan.',
    ],
  ],
  [
    'passive-voice',
    [
      'The background should be replaced with a beach',
      'The logo has been moved left',
      'The text is being replaced',
      'The face should be kept unchanged',
    ],
    [
      'Keep the face unchanged.',
      'She is now holding an orange umbrella',
      'Keep the table exactly as in the input.',
      'The bag is made of leather and she is dressed in red.',
      'Add a sign that appears to be painted by hand.',
      'Replace the caption "WAS REMOVED" with "NEW".',
    ],
  ],
  [
    'missing-preservation',
    ['Make her hair blond', 'Replace the brand name on the bottle', 'Change the background behind the man to a forest'],
    [
      'She is now holding an orange umbrella and smiling', // declarative "is now …": our choice, see the rule
      'Make the sky a dramatic orange sunset.', // no person or product named
      'Make her hair blond, keeping her face and expression unchanged.',
      'Make her hair blond. Everything else stays the same.',
      'Leave her face as is and make her hair blond.',
    ],
  ],
  [
    'multiple-images',
    [
      'Take the dress from the second image',
      'Use the pose from image 2',
      'Put @image2 next to @image1',
      'Merge the two input photos',
      'Combine both images',
    ],
    [
      'Keep the subject as in image 1.',
      'Add another photo frame to the wall.',
      'Add two framed pictures behind her.',
      'Use the colors of https://example.com/palette.png',
      'Replace the text "IMAGE 2" with "PAGE 2".',
    ],
  ],
];

describe.each(PER_RULE)('rule %s', (id, fires, silent) => {
  it.each(fires)('fires on: %s', (prompt) => {
    const findings = rule(id).check(prompt);
    expect(findings.length).toBeGreaterThan(0);
    expect(findings.every((f) => f.rule === id)).toBe(true);
  });
  it.each(silent)('is silent on: %s', (prompt) => {
    expect(rule(id).check(prompt)).toEqual([]);
  });
});
