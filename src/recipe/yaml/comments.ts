/**
 * Hidden characters in the recipe's comments (docs/architecture.md#hidden-characters). kontext
 * never uses a comment, but a reviewer reads it with the line it ends: a bidi control there can
 * make an editor, a diff or a terminal show the line otherwise than the parser reads it (Trojan
 * Source, CVE-2021-42574), and an invisible character hides what the comment says. A comment is
 * prose, so it is checked as a prompt is (a text): the marks real writing needs stay allowed
 * where writing puts them (an emoji's ZWJ, a Persian ZWNJ, an RLM in Hebrew or Arabic prose, a
 * variation selector, the flags of England, Scotland and Wales), a tab too; bidi embeddings,
 * overrides and isolates, C1 controls and every other invisible character are refused at the
 * character. Comments are the YAML parser's own (its CST), so a `#` inside a block scalar or a
 * quoted string is the value's, checked there; a directive line (`%YAML`, an unknown `%FOO` the
 * parser ignores) is checked as a comment is.
 */
import { Parser } from 'yaml';
import { firstHiddenChar } from '../../util/hidden-chars.js';

interface CommentIssue {
  readonly code: string;
  readonly message: string;
  readonly hint: string;
  readonly offset: number;
}

/** What `firstHiddenChar` may refuse in a text but tab and line breaks: most recipes hold none, and skip the CST. */
const MAYBE_HIDDEN =
  /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f\u2028\u2029\ufff9-\ufffb\p{Default_Ignorable_Code_Point}]/u;

/** The first hidden character a comment of `text` holds, as an issue at that character; undefined when none. */
export function hiddenInComment(text: string): CommentIssue | undefined {
  if (!MAYBE_HIDDEN.test(text)) return undefined;
  for (const token of new Parser().parse(text)) {
    const issue = firstIn(token);
    if (issue !== undefined) return issue;
  }
  return undefined;
}

/** Depth first through a CST token, in document order: the first comment with a hidden character. */
function firstIn(node: unknown): CommentIssue | undefined {
  if (Array.isArray(node)) {
    for (const item of node) {
      const issue = firstIn(item);
      if (issue !== undefined) return issue;
    }
    return undefined;
  }
  if (typeof node !== 'object' || node === null) return undefined;
  const token = node as { type?: unknown; source?: unknown; offset?: unknown };
  // A directive line (`%FOO …`, which the parser only warns about and ignores) is read as a comment is.
  const ignored = token.type === 'comment' || token.type === 'directive';
  if (ignored && typeof token.source === 'string' && typeof token.offset === 'number')
    return commentIssue(token.type as string, token.source, token.offset);
  for (const [key, value] of Object.entries(node)) {
    if (key === 'source') continue;
    const issue = firstIn(value);
    if (issue !== undefined) return issue;
  }
  return undefined;
}

function commentIssue(what: string, comment: string, offset: number): CommentIssue | undefined {
  const hidden = firstHiddenChar(comment, 'text');
  if (hidden === null) return undefined;
  const held = `${what} holds ${hidden.code} (${hidden.what})`;
  const at = offset + hidden.index;
  if (hidden.kind === 'bidi')
    return {
      code: 'control-character',
      message: `${held}, which can show the line otherwise than kontext reads it`,
      hint: 'a bidi control reorders what an editor shows after it (Trojan Source); remove it',
      offset: at,
    };
  if (hidden.kind === 'control')
    return {
      code: 'control-character',
      message: `${held}, which a terminal would act on wherever the recipe is printed`,
      hint: 'remove it; a comment may hold tab',
      offset: at,
    };
  return {
    code: 'invisible-character',
    message: `${held}, an invisible character that can hide or split words from whoever reads it`,
    hint:
      'remove it (ZWJ, ZWNJ, direction marks and variation selectors are fine in a comment, ' +
      'one at a time after a visible character)',
    offset: at,
  };
}
