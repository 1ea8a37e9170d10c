/**
 * `kontext plan --format mermaid`: a Mermaid `flowchart LR`. Node ids become safe identifiers
 * (an injective escape, so no two nodes collide); sources are drawn as cylinders.
 */
import { shorten } from './render-text.js';
import type { NodeInput, Plan } from './types.js';

const LABEL_PROMPT_WIDTH = 40;

/**
 * An identifier Mermaid accepts for any node id: `_` escapes itself (`__`), `-` (`_h`),
 * `@` (`_a`), `#` (`_v`); other non-alphanumerics become `_u<hex>_`. The `n_`/`s_` prefix
 * keeps ids off keywords (`end`) and edge markers (`o`, `x`).
 */
export function mermaidId(kind: 'node' | 'source', raw: string): string {
  return (kind === 'node' ? 'n_' : 's_') + raw.replace(/[^A-Za-z0-9]/gu, escapeIdChar);
}

function escapeIdChar(ch: string): string {
  switch (ch) {
    case '_':
      return '__';
    case '-':
      return '_h';
    case '@':
      return '_a';
    case '#':
      return '_v';
    default:
      return `_u${(ch.codePointAt(0) ?? 0).toString(16)}_`;
  }
}

/** Label text safe inside `["..."]`: Mermaid entity codes for the characters it would parse. */
function mermaidText(text: string): string {
  return text
    .replace(/#/g, '#35;')
    .replace(/&/g, '#38;')
    .replace(/"/g, '#quot;')
    .replace(/</g, '#lt;')
    .replace(/>/g, '#gt;')
    .replace(/\s+/g, ' ');
}

type SourceInput = Extract<NodeInput, { kind: 'source' }>;

export function renderPlanMermaid(plan: Plan): string {
  const lines = ['flowchart LR'];
  const edges: string[] = [];
  const sourcesDrawn = new Set<string>();
  // Every instance and variant of a pass shares its prompt: escape it once.
  const prompts = new Map<string, string>();
  const ids = new Map<string, string>();
  for (const node of plan.nodes) {
    const id = mermaidId('node', node.id);
    ids.set(node.id, id);
    let from: string;
    if (node.input.kind === 'node') {
      from = ids.get(node.input.id) ?? mermaidId('node', node.input.id);
    } else {
      const src = sourceKey(node.input);
      from = mermaidId('source', src);
      // Sources are cylinders, declared just before the first node that reads them.
      if (!sourcesDrawn.has(src)) lines.push(`  ${from}[("${mermaidText(src)}")]`);
      sourcesDrawn.add(src);
    }
    let prompt = prompts.get(node.prompt);
    if (prompt === undefined) {
      prompt = mermaidText(shorten(node.prompt, LABEL_PROMPT_WIDTH));
      prompts.set(node.prompt, prompt);
    }
    const picked = node.picked === true ? ' ✓ picked' : '';
    lines.push(`  ${id}["${mermaidText(node.id)}${picked}<br/>${prompt}"]`);
    edges.push(`  ${from} --> ${id}`);
  }
  return `${[...lines, ...edges].join('\n')}\n`;
}

/** `portrait`, or `shoes@shoe-01` for a glob instance. */
function sourceKey(input: SourceInput): string {
  return input.instance === null ? input.source : `${input.source}@${input.instance}`;
}
