/**
 * Rule cases on names a file system must hold (rules.test.ts runs them): lengths, Windows device
 * names (in names, and in the folders and files a save: or out: writes), a save: path naming a
 * folder, and how many nodes one recipe (and its lock) may hold.
 */
import { passIds, recipeName, sourceNames } from '../../../src/recipe/rules/names.js';
import { pathLengths } from '../../../src/recipe/rules/path-lengths.js';
import { planSize } from '../../../src/recipe/rules/plan-size.js';
import { savePlaceholders } from '../../../src/recipe/rules/save.js';
import { sourceCaseTwins } from '../../../src/recipe/rules/source-case.js';
import { portableSeparators, windowsPathNames } from '../../../src/recipe/rules/windows-names.js';
import { HEAD, withHead as p, type RuleCase } from './rule-context.js';

export const FS_NAME_CASES: readonly RuleCase[] = [
  {
    name: 'ids: a 65-character id is too long for a folder name',
    rule: passIds,
    text: p(`  - id: ${'a'.repeat(65)}\n    prompt: x\n`),
    expect: ['name-length@5:9'],
    message: 'is 65 bytes long (at most 64)',
  },
  {
    name: 'ids: a Windows device name cannot be a folder',
    rule: passIds,
    text: p('  - id: aux\n    prompt: x\n  - id: com1\n    prompt: x\n  - id: auxiliary\n    prompt: x\n'),
    expect: ['name-reserved@5:9', 'name-reserved@7:9'],
    message: 'pass id "aux" is a device name on Windows',
  },
  {
    name: 'source names: nul is refused at its key',
    rule: sourceNames,
    text: 'version: 1\nsources:\n  nul: a.jpg\npasses:\n  - id: a\n    prompt: x\n',
    expect: ['name-reserved@3:3'],
  },
  {
    name: 'recipe name: a trailing dot (dropped by Windows) or a device name',
    rule: recipeName,
    text: 'version: 1\nname: "shoes."\nsources:\n  photo: a.jpg\npasses:\n  - id: a\n    prompt: x\n',
    expect: ['name-reserved@2:7'],
    message: 'ends with a dot or space',
  },
  {
    name: 'plan size: 12,501 files times 4 variants is over 50,000 nodes',
    rule: planSize,
    text: `${HEAD}  - id: a\n    prompt: x\n    variants: 4\n`,
    options: { globs: { photo: 12_501 } },
    expect: ['plan-too-large@3:10'],
    message: 'the recipe plans 50004 nodes (at most 50000)',
  },
  {
    name: 'plan size: 50,000 nodes are fine',
    rule: planSize,
    text: `${HEAD}  - id: a\n    prompt: x\n    variants: 4\n`,
    options: { globs: { photo: 12_500 } },
    expect: [],
  },
  {
    name: 'save: a path naming a folder (final/, ., x/..) is not a file',
    rule: savePlaceholders,
    text: p(
      '  - id: a\n    prompt: x\n    save: final/\n  - id: b\n    prompt: x\n    save: .\n' +
        '  - id: c\n    prompt: x\n    save: x/..\n  - id: d\n    prompt: x\n    save: x/..{ext}\n',
    ),
    expect: ['save-placeholder@7:11', 'save-placeholder@10:11', 'save-placeholder@13:11'],
    message: 'save path "final/" names a folder, not a file',
  },
  {
    name: 'save: a path not ending in an image extension or {ext} (walk-p: --overwrite replaced a recipe)',
    rule: savePlaceholders,
    text: p(
      '  - id: a\n    prompt: x\n    save: "{source}.yml"\n  - id: b\n    prompt: x\n    save: Makefile\n' +
        '  - id: c\n    prompt: x\n    save: f/{source}.JPG\n  - id: d\n    prompt: x\n    save: f/{pass}{ext}\n',
    ),
    expect: ['save-placeholder@7:11', 'save-placeholder@10:11'],
    message: 'save path "{source}.yml" does not end in an image extension',
  },
  {
    name: 'ids: 64 characters are fine',
    rule: passIds,
    text: p(`  - id: ${'a'.repeat(64)}\n    prompt: x\n`),
    expect: [],
  },
  {
    name: 'recipe name: a 300-byte name is too long for the out folder',
    rule: recipeName,
    text: `version: 1\nname: ${'é'.repeat(150)}\nsources:\n  photo: a.jpg\npasses:\n  - id: a\n    prompt: x\n`,
    expect: ['name-length@2:7'],
    message: 'is 300 bytes long (at most 100)',
  },
  {
    name: 'path lengths: a save file name over 190 bytes (room for the temp file), a long folder in out:',
    rule: pathLengths,
    text:
      `version: 1\nout: o/${'d'.repeat(256)}\nsources:\n  photo: a.jpg\npasses:\n` +
      `  - id: a\n    prompt: x\n    save: f/${'s'.repeat(182)}-{pass}{variant}.{ext}\n` +
      `  - id: b\n    prompt: x\n    save: ${'f'.repeat(256)}/{source}.{ext}\n`,
    expect: ['path-length@2:6', 'path-length@8:11', 'path-length@11:11'],
    message: 'out: has a folder name of 256 bytes (at most 255)',
  },
  {
    name: 'path lengths: {source} counts as the longest instance name of the glob',
    rule: pathLengths,
    text: `${HEAD}  - id: a\n    prompt: x\n    save: f/${'s'.repeat(185)}-{source}.{ext}\n`,
    options: { globs: { photo: 3 } },
    expect: ['path-length@7:11'],
    message: 'save path has a file name of 193 bytes (at most 190)',
  },
  {
    name: 'save: a device name or a trailing dot or space, at the name (a checkout on Windows cannot hold it)',
    rule: windowsPathNames,
    text: p(
      ['out/con.png', 'final/aux/{source}.{ext}', 'nul.txt', 'reports/COM1', '"final./{pass}.{ext}"', '"f/CON .png"']
        .map((save, i) => `  - id: p${i}\n    prompt: x\n    save: ${save}\n`)
        .join(''),
    ),
    expect: [
      'name-reserved@7:15',
      'name-reserved@10:17',
      'name-reserved@13:11',
      'name-reserved@16:19',
      'name-reserved@19:12',
      'name-reserved@22:14',
    ],
    message: 'save path "out/con.png" names "con.png", a device name on Windows',
  },
  {
    name: 'save: names that only look like devices, and .. segments, are fine',
    rule: windowsPathNames,
    text: p(
      ['final/console/{source}.{ext}', '../out/aux-x.png', 'lpt/{pass}.{ext}', 'com10/{source}.{ext}', './x.png']
        .map((save, i) => `  - id: p${i}\n    prompt: x\n    save: ${save}\n`)
        .join(''),
    ),
    expect: [],
  },
  {
    name: 'save: placeholders filled as the nodes fill them (lpt{variant} is lpt1; {source}. ends with a dot)',
    rule: windowsPathNames,
    text:
      'version: 1\ndefaults:\n  save: out/lpt{variant}.{ext}\nsources:\n  photo: a.jpg\npasses:\n' +
      '  - id: a\n    prompt: x\n    variants: 2\n  - id: b\n    prompt: x\n    save: "x/{source}."\n',
    expect: ['name-reserved@3:13', 'name-reserved@12:14'],
    message: '"lpt1.png", a device name',
  },
  {
    name: 'save: and out: names holding < > : " | ? * (git for Windows cannot check them out), a drive letter too',
    rule: windowsPathNames,
    text:
      'version: 1\nout: "C:/build/v1:final"\nsources:\n  photo: a.jpg\npasses:\n' +
      ['out/{source}?.png', '"x/a|b/{pass}.{ext}"', "'q\"u.png'", 'out/a*b.png', 'ok/{source}.{ext}']
        .map((save, i) => `  - id: p${i}\n    prompt: x\n    save: ${save}\n`)
        .join(''),
    expect: [
      'name-reserved@2:7',
      'name-reserved@8:15',
      'name-reserved@11:14',
      'name-reserved@14:12',
      'name-reserved@17:15',
    ],
    message: 'out: "C:/build/v1:final" names "C:", which holds a character no Windows file name may',
  },
  {
    name: 'a \\ in out:, save: or a source file path (not a glob, where it escapes), at the backslash',
    rule: portableSeparators,
    text:
      "version: 1\nout: 'build\\cat'\ndefaults:\n  save: 'x\\{source}.{ext}'\nsources:\n" +
      "  photo: 'assets\\a.jpg'\n  shots: 'assets/\\[1\\]*.jpg'\n  web: https://example.com/a\\b.jpg\npasses:\n" +
      "  - id: a\n    prompt: x\n  - id: b\n    prompt: x\n    save: 'ok/{source}.{ext}'\n",
    expect: ['path-backslash@2:12', 'path-backslash@4:11', 'path-backslash@6:17'],
    message: 'output folder "build\\cat" separates folders with "\\", which only Windows reads so',
  },
  {
    name: 'out: a folder named aux',
    rule: windowsPathNames,
    text: 'version: 1\nout: build/aux\n',
    expect: ['name-reserved@2:12'],
  },
  {
    // Faked sources lie at /p/<name>.jpg: `Photo` and `photo` are two files here, one on a Mac.
    name: 'sources: two files differing only in case (more in source-case.test.ts)',
    rule: sourceCaseTwins,
    text: 'version: 1\nsources:\n  Photo: a.jpg\n  photo: b.jpg\n  other: c.jpg\npasses:\n  - id: a\n    prompt: x\n',
    expect: ['source-case-collision@4:10'],
    message: 'source "photo" names "../../p/photo.jpg", which differs from "../../p/Photo.jpg" (source "Photo")',
    hint: 'macOS, Windows and exFAT disks hold them as one file',
  },
];
