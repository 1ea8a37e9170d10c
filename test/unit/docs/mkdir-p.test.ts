/**
 * Node's recursive mkdir never returns where mkdir says ENOENT under a folder that exists
 * (`--cache-dir /proc/nope` hung at 100 % CPU): every `mkdir -p` in src/ goes through
 * util/mkdir-p.ts instead. The one exception makes a folder beside the installed bundle, a
 * path no user gives.
 *
 * The calls are found with the TypeScript parser, not a regex: `mkdir(dirname(p), { recursive:
 * true })` has a `)` before the options, and a call may span lines. Comments and strings do not count.
 */
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { listFiles, readRepoFile } from './repo.js';

const ALLOWED = new Set(['src/cli/code-cache.ts']);

/** The callee names that are Node's mkdir: `mkdir(`, `mkdirSync(`, `fs.mkdir(`, `fs.promises.mkdir(`... */
const MKDIR = new Set(['mkdir', 'mkdirSync']);

/** The 1-based lines of the mkdir calls in `source` whose arguments hold `recursive` set to anything but `false`. */
function recursiveMkdirs(source: string, file = 'x.ts'): number[] {
  if (!source.includes('mkdir') || !source.includes('recursive')) return []; // most files: no parse
  const sf = ts.createSourceFile(file, source, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);
  const lines: number[] = [];
  const visit = (node: ts.Node): void => {
    if (ts.isCallExpression(node) && MKDIR.has(calleeName(node.expression)) && node.arguments.some(hasRecursive))
      lines.push(sf.getLineAndCharacterOfPosition(node.getStart(sf)).line + 1);
    ts.forEachChild(node, visit);
  };
  visit(sf);
  return lines;
}

function calleeName(callee: ts.Expression): string {
  if (ts.isIdentifier(callee)) return callee.text;
  if (ts.isPropertyAccessExpression(callee)) return callee.name.text;
  return '';
}

/** Whether `node` (an argument, at any depth) sets `recursive` other than to the literal `false`. */
function hasRecursive(node: ts.Node): boolean {
  if (ts.isShorthandPropertyAssignment(node) && node.name.text === 'recursive') return true;
  if (ts.isPropertyAssignment(node) && propertyName(node.name) === 'recursive')
    return node.initializer.kind !== ts.SyntaxKind.FalseKeyword;
  return ts.forEachChild(node, (child) => hasRecursive(child) || undefined) === true;
}

function propertyName(name: ts.PropertyName): string {
  return ts.isIdentifier(name) || ts.isStringLiteral(name) ? name.text : '';
}

describe('mkdir -p in src/', () => {
  it('goes through util/mkdir-p.ts, never Node recursive mkdir', () => {
    const offenders = listFiles('src', (p) => p.endsWith('.ts') && !ALLOWED.has(p)).flatMap((path) =>
      recursiveMkdirs(readRepoFile(path), path).map((line) => `${path}:${line}`),
    );
    expect(offenders).toEqual([]);
  });

  it('finds the call in every form it is written, and only in code', () => {
    const found = recursiveMkdirs(
      [
        'await mkdir(dirname(path), { recursive: true });', // 1: a `)` before the options
        'mkdirSync(join(a, b), {', // 2: across lines
        '  mode: 0o700,',
        '  recursive: true,',
        '});',
        "await fs.promises.mkdir(resolve(dir, '..'), { 'recursive': true });", // 6: a member call
        'const recursive = true; mkdirSync(dir, { recursive });', // 7: shorthand
        'await mkdir(dir, { recursive: deep() });', // 8: not a literal
        'await mkdir(dir, { recursive: false });', // not recursive
        'await mkdir(dir);',
        'await mkdirp(dirname(path), { recursive: true });', // another function
        '// mkdir(dirname(path), { recursive: true })',
        "const s = 'mkdir(dirname(path), { recursive: true })';",
      ].join('\n'),
    );
    expect(found).toEqual([1, 2, 6, 7, 8]);
  });
});
