/**
 * The keys the schema allows at a document path, read from the zod schema itself (so "did you
 * mean" suggestions never drift from it). For a discriminated union (hosting), the option
 * matching the document's discriminator wins; otherwise all options' keys are offered.
 */
import { z } from 'zod';
import type { DocPath } from './yaml/locate.js';

type Schema = z.core.$ZodType;

function unwrap(s: Schema): Schema {
  let cur = s;
  while (cur instanceof z.ZodOptional || cur instanceof z.ZodDefault || cur instanceof z.ZodNullable)
    cur = cur.unwrap() as Schema;
  return cur;
}

/** Union options to look into; for a discriminated union, the one the document's tag picks. */
function pickOption(s: z.ZodUnion, value: unknown): Schema[] {
  const options = [...(s.options as readonly Schema[])];
  if (!(s instanceof z.ZodDiscriminatedUnion) || typeof value !== 'object' || value === null) return options;
  const disc = s.def.discriminator;
  const tag = (value as Record<string, unknown>)[disc] as z.core.util.Literal;
  const hit = options.find((o) => {
    const field = o instanceof z.ZodObject ? (o.shape as Record<string, Schema>)[disc] : undefined;
    return field instanceof z.ZodLiteral && field.values.has(tag);
  });
  return hit ? [hit] : options;
}

function childSchemas(s: Schema, seg: string | number, value: unknown): Schema[] {
  const cur = unwrap(s);
  if (cur instanceof z.ZodObject) {
    const next = (cur.shape as Record<string, Schema>)[String(seg)];
    return next ? [next] : [];
  }
  if (cur instanceof z.ZodArray) return [cur.element as Schema];
  if (cur instanceof z.ZodRecord) return [cur.valueType as Schema];
  if (cur instanceof z.ZodUnion) return pickOption(cur, value).flatMap((o) => childSchemas(o, seg, value));
  return [];
}

/** Allowed keys of the object at `path` in `data`, per `schema`. */
export function knownKeysAt(schema: Schema, data: unknown, path: DocPath): string[] {
  let schemas = [schema];
  let value = data;
  for (const seg of path) {
    schemas = schemas.flatMap((s) => childSchemas(s, seg, value));
    value = typeof value === 'object' && value !== null ? (value as Record<string | number, unknown>)[seg] : undefined;
  }
  const keys = new Set<string>();
  for (const s of schemas) {
    const cur = unwrap(s);
    const objects = cur instanceof z.ZodUnion ? pickOption(cur, value).map(unwrap) : [cur];
    for (const o of objects) if (o instanceof z.ZodObject) for (const k of Object.keys(o.shape)) keys.add(k);
  }
  return [...keys];
}
