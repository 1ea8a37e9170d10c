/**
 * What a user reads when a command line is wrong or when they ask a command for help: a
 * subcommand's usage error points at that command's `--help`, and `kontext run --help` shows
 * no commander internals (a bare `--force`'s preset value). Every help fits 80 columns when
 * stdout is not a terminal, and follows the terminal's width when it is.
 */
import { describe, expect, it } from 'vitest';
import { main } from '../../../src/cli/main.js';
import { buildProgram } from '../../../src/cli/program.js';
import { createRuntime } from '../../../src/index.js';

async function kontext(
  argv: string[],
  tty = false,
  columns = 100,
): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const stdout = { write: (s: string) => (out += s), isTTY: tty, columns: tty ? columns : 200 };
  const stderr = { write: (s: string) => (err += s), isTTY: false, columns: 200 };
  const code = await main(argv, { rt: createRuntime({ stdout, stderr, env: {} }) });
  return { code, out, err };
}

describe('kontext usage and help text', () => {
  it.each([
    [['run', 'recipe.yml', '--bogus'], 'run'],
    [['plan', 'recipe.yml', '--format', 'yaml'], 'plan'],
    [['gc', '--older-than'], 'gc'],
  ])('%j: exit 64, the error and where to read the usage', async (argv, command) => {
    const r = await kontext(argv);
    expect(r.code).toBe(64);
    expect(r.err.trim().split('\n')).toEqual([
      expect.stringMatching(/^error: /),
      `(run \`kontext ${command} --help\` for usage)`,
    ]);
  });

  it('an unknown command points at kontext --help', async () => {
    const r = await kontext(['frob']);
    expect(r.code).toBe(64);
    expect(r.err).toContain('(run `kontext --help` for usage)');
  });

  it('run --help describes a bare --force and --reseed without "(preset: true)"', async () => {
    const r = await kontext(['run', '--help']);
    expect(r.code).toBe(0);
    const flat = r.out.replace(/\s+/g, ' ');
    expect(flat).toContain(
      '--force [nodes] ignore the cache for just these nodes (alone: the --only nodes, else all) --reseed',
    );
    expect(flat).toContain('draw new seeds for just these nodes (alone: the --only nodes, else all) --keep-going');
    expect(r.out).not.toContain('preset');
    // Other options keep commander's notes.
    expect(r.out).toContain('(default: "4")');
    expect(flat).toContain('(choices: "inline", "s3", "command")');
  });

  const commands = buildProgram(createRuntime({ env: {} }), () => undefined).commands.map((c) => c.name());
  const width = (line: string): number => [...line].length;

  it.each([[[]], ...commands.map((c) => [[c]]), [['help', 'run']]])(
    'kontext %j --help fits 80 columns on a pipe',
    async (argv) => {
      const r = await kontext([...argv, '--help']);
      expect(r.code).toBe(0);
      const lines = r.out.split('\n');
      expect(lines.length).toBeGreaterThan(5);
      expect(lines.filter((l) => width(l) > 80)).toEqual([]);
    },
  );

  it('the command list keeps its descriptions in one column; a term too long for it goes on its own line', async () => {
    const r = await kontext(['--help']);
    expect(r.out).toMatch(/^ {2}merge-lock \[options\] <base> <ours> <theirs> \[path\]\n {34}git merge driver/m);
    expect(r.out).toMatch(/^ {2}status \[options\] <recipe> {7}what a run would do/m);
  });

  it('on a terminal, help is laid out to its width', async () => {
    const r = await kontext(['status', '--help'], true);
    const lines = r.out.split('\n');
    expect(lines.some((l) => width(l) > 80)).toBe(true);
    expect(lines.filter((l) => width(l) > 100)).toEqual([]);
  });

  it('on a terminal narrower than 80, the term column narrows so descriptions still wrap', async () => {
    // (Not the top level: its examples and exit codes are a fixed block written for 80 columns.)
    for (const argv of [['status'], ['run'], ['merge-lock']]) {
      const r = await kontext([...argv, '--help'], true, 64);
      // The usage line is commander's own and never wrapped.
      expect(r.out.split('\n').filter((l) => width(l) > 64 && !l.startsWith('Usage:'))).toEqual([]);
    }
  });
});
