/**
 * The commands the docs show are the CLI's. Every `kontext …` a fenced block of README.md or
 * docs/ci.md runs, every such code span in their prose, and every example of `kontext --help`
 * names a command and flags that commander defines, and the README's synopsis under
 * "## Commands" lists every flag each command's `--help` shows, so neither side can drift.
 */
import type { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { renderHelp } from '../../../src/cli/help-text.js';
import { buildProgram } from '../../../src/cli/program.js';
import { createRuntime } from '../../../src/index.js';
import { readRepoFile } from './repo.js';

const DOCS = ['README.md', 'docs/ci.md'];

/** Flags a command accepts, short and long: its visible options, `--help`, and the global `--debug`. */
function flagsOf(command: Command, extra: readonly string[]): Set<string> {
  const flags = new Set(['-h', '--help', ...extra]);
  for (const o of command.options) {
    if (o.hidden) continue;
    if (o.long) flags.add(o.long);
    if (o.short) flags.add(o.short);
  }
  return flags;
}

/** Command name → flags; '' is the program itself (`kontext --version`). */
function cliFlags(program: Command): Map<string, Set<string>> {
  const specs = new Map([['', flagsOf(program, [])]]);
  for (const c of program.commands) specs.set(c.name(), flagsOf(c, ['--debug']));
  return specs;
}

interface DocLine {
  readonly where: string;
  readonly text: string;
}

/**
 * The lines of a document's fenced blocks, with continuations joined: a line ending in `\`,
 * and a synopsis line that starts with `[` (the README's `kontext run` spans four).
 */
function fencedLines(doc: string, markdown: string): DocLine[] {
  const out: { where: string; text: string }[] = [];
  for (const block of markdown.matchAll(/^```[^\n]*\n([\s\S]*?)^```/gm)) {
    const first = markdown.slice(0, block.index).split('\n').length + 1;
    let joinNext = false;
    (block[1] ?? '').split('\n').forEach((line, i) => {
      const last = out.at(-1);
      if (last && (joinNext || /^\s+\[/.test(line))) last.text += ` ${line.trim()}`;
      else out.push({ where: `${doc}:${first + i}`, text: line });
      joinNext = line.endsWith('\\');
    });
  }
  return out;
}

/**
 * Where a line runs kontext: at its start (after a `$ ` prompt), after `npx ` (or `npx --no `), a YAML `run: ` or
 * a shell `&&`, `||` or `;`, or as `exec ./node_modules/.bin/kontext` (docs/ci.md's steps). Not in a
 * comment, prose or output (`# kontext emulator listening …`,
 * `git config merge.kontext.name "kontext lock merge"`).
 */
const NPX = String.raw`\bnpx\s+(?:--no\s+)?`;
const INVOCATION = new RegExp(
  String.raw`(?:^\s*(?:\$\s+)?|${NPX}|\brun:\s+(?:exec\s+\.\/node_modules\/\.bin\/)?|(?:&&|\|\||;)\s*)kontext(?=\s|$)`,
);

/** The argument text of the invocation on a line, up to where the shell command ends; null when none. */
function invocation(text: string): string | null {
  const m = INVOCATION.exec(text);
  if (!m) return null;
  const before = text.slice(0, m.index + m[0].length);
  let rest = text.slice(m.index + m[0].length);
  // Inside a quoted string (a git merge driver's command): the command ends at the closing quote.
  if ((before.match(/"/g) ?? []).length % 2 === 1) rest = rest.slice(0, rest.indexOf('"') + 1 || undefined);
  rest = rest.replace(/"[^"]*"|'[^']*'/g, '""');
  let depth = 0;
  for (let i = 0; i < rest.length; i++) {
    const c = rest[i];
    if (c === '[') depth++;
    else if (c === ']') depth--;
    const end =
      rest.startsWith('&&', i) ||
      rest.startsWith('||', i) ||
      c === ';' ||
      (depth === 0 && c === '|' && /\s/.test(rest[i - 1] ?? ' ')) ||
      (c === '#' && /\s/.test(rest[i - 1] ?? ' '));
    if (end) return rest.slice(0, i);
  }
  return rest;
}

interface Use {
  readonly where: string;
  readonly command: string;
  readonly flags: readonly string[];
}

/** The command and flags of an invocation's text: `run recipe.yml -j 8 --force=a,b` → run, [-j, --force]. */
function parseUse(where: string, args: string): Use {
  const tokens = args.trim().split(/\s+/).filter(Boolean);
  const command = tokens[0] !== undefined && !tokens[0].startsWith('-') ? tokens[0] : '';
  const flags = [...args.matchAll(/(?<=^|[\s[(])(--?[A-Za-z][\w-]*)/g)].map((m) => m[1] ?? '');
  return { where, command, flags };
}

/** Every kontext invocation in a document's fenced blocks. */
function docUses(doc: string): Use[] {
  return fencedLines(doc, readRepoFile(doc)).flatMap(({ where, text }) => {
    const args = invocation(text);
    return args === null ? [] : [parseUse(where, args)];
  });
}

/** Every `kontext …` code span in a document's prose (`kontext run --force catalog.yml`). */
function inlineUses(doc: string): Use[] {
  const markdown = readRepoFile(doc);
  const prose = markdown.replace(/^```[\s\S]*?^```/gm, (block) => block.replace(/[^\n]/g, ' '));
  return (
    [...prose.matchAll(/`((?:npx\s+)?kontext\s[^`]+)`/g)]
      .map((m) => ({ text: (m[1] ?? '').replace(/\s+/g, ' '), line: prose.slice(0, m.index).split('\n').length }))
      // Not `kontext …` (any command), nor output quoted in prose (`kontext merge-lock: recipe.lock.json: merged …`).
      .filter(({ text }) => !/^(?:npx )?kontext (?:…|[\w-]+:)/.test(text))
      .map(({ text, line }) => parseUse(`${doc}:${line}`, invocation(text) ?? ''))
  );
}

/** What a use names that the CLI does not define. */
function unknownIn(uses: readonly Use[], specs: Map<string, Set<string>>): string[] {
  return uses.flatMap(({ where, command, flags }) => {
    const known = specs.get(command);
    if (!known) return [`${where}: kontext ${command}: no such command`];
    return flags.filter((f) => !known.has(f)).map((f) => `${where}: kontext ${command || '(no command)'}: ${f}`);
  });
}

describe('the kontext commands the docs show', () => {
  const program = buildProgram(createRuntime({ env: {} }), () => undefined);
  const specs = cliFlags(program);

  it('finds the invocations (the parser is not blind)', () => {
    const readme = docUses('README.md');
    const ci = docUses('docs/ci.md');
    expect(readme.length).toBeGreaterThan(15);
    expect(ci.map((u) => u.command)).toEqual(['run', 'run', 'merge-lock', 'run', 'run', 'merge-lock']);
    expect(readme.find((u) => u.command === 'run' && u.flags.includes('--frozen'))?.flags).toContain('-j');
    expect(parseUse('x', invocation('git config merge.kontext.name "kontext lock merge"') ?? '').command).toBe('');
    expect(invocation('# kontext emulator listening on http://127.0.0.1:8787/v1')).toBeNull();
    expect(parseUse('x', invocation('$ kontext run --json r.yml | jq --bogus') ?? '').flags).toEqual(['--json']);
  });

  it('in README.md and docs/ci.md name only commands and flags the CLI defines', () => {
    expect(unknownIn(DOCS.flatMap(docUses), specs)).toEqual([]);
  });

  it('in the code spans of their prose name only commands and flags the CLI defines', () => {
    const uses = DOCS.flatMap(inlineUses);
    expect(uses.length).toBeGreaterThan(30);
    expect(uses.find((u) => u.flags.includes('--serve'))?.command).toBe('run');
    expect(unknownIn(uses, specs)).toEqual([]);
  });

  it('in the examples of `kontext --help` name only commands and flags the CLI defines', async () => {
    const help = await renderHelp();
    const examples = help.slice(help.indexOf('Examples:')).split('\n').slice(1);
    const uses = examples
      .map((line, i) => ({ line, i }))
      .filter(({ line }) => /^\s+kontext\s/.test(line))
      .map(({ line, i }) => parseUse(`--help example ${i + 1}`, (invocation(line) ?? '').split(/\s{2,}/)[0] ?? ''));
    expect(uses.length).toBeGreaterThan(8);
    expect(unknownIn(uses, specs)).toEqual([]);
  });

  it("README's synopsis lists every command and every flag its --help shows", () => {
    const readme = readRepoFile('README.md');
    const block = /^```[^\n]*\n[\s\S]*?^```/m.exec(readme.slice(readme.indexOf('\n## Commands\n')))?.[0] ?? '';
    const synopsis = fencedLines('README.md (## Commands)', block)
      .map(({ where, text }) => parseUse(where, invocation(text) ?? ''))
      .filter((u) => u.command !== '');
    const listed = new Map(synopsis.map((u) => [u.command, new Set(u.flags)]));
    const missing = [...specs].flatMap(([command, flags]) => {
      if (command === '') return [];
      const shown = listed.get(command);
      if (!shown) return [`kontext ${command}: not in the synopsis`];
      const undocumented = [...flags].filter((f) => !['-h', '--help', '--debug'].includes(f) && !shown.has(f));
      // A flag with a short and a long name needs only one of them in the synopsis (`-j N`).
      return undocumented.filter((f) => !sameOption(program, command, f, shown)).map((f) => `kontext ${command}: ${f}`);
    });
    expect(missing).toEqual([]);
  });
});

/** Whether the synopsis shows another name of the option `flag` is a name of. */
function sameOption(program: Command, command: string, flag: string, shown: Set<string>): boolean {
  const option = program.commands
    .find((c) => c.name() === command)
    ?.options.find((o) => o.short === flag || o.long === flag);
  return option !== undefined && [option.short, option.long].some((n) => n !== undefined && shown.has(n));
}
