/**
 * Canonical JSON: object keys sorted (by UTF-16 code unit, locale-free), no whitespace, and
 * only values that survive a JSON round trip unchanged. Anything ambiguous (NaN, undefined
 * in an array, a Date, a cycle) is rejected instead of being silently coerced, so two
 * machines can never derive different cache keys from "the same" value.
 */
import { CanonicalJsonError } from './errors.js';

/** Serialize `value` canonically; throws {@link CanonicalJsonError} naming the offending path. */
export function canonicalJson(value: unknown): string {
  return encode(value, null, new Set());
}

/**
 * Where a value sits, as a chain of keys: spelled out (`params.size[2]`) only for an error.
 * Every node's cache key is canonical JSON, so building each key's path text up front was a
 * regex test and a string per key, 10,000 times per run, for a message almost never shown.
 */
interface At {
  readonly parent: At | null;
  readonly key: string | number;
}

function encode(value: unknown, at: At | null, seen: Set<object>): string {
  if (value === null) return 'null';
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return JSON.stringify(value);
    case 'number':
      if (!Number.isFinite(value)) fail(at, `${String(value)} is not a finite number`);
      return JSON.stringify(value);
    case 'object':
      return encodeObject(value, at, seen);
    default:
      return fail(at, `${typeof value} is not a JSON value`);
  }
}

function encodeObject(value: object, at: At | null, seen: Set<object>): string {
  if (seen.has(value)) fail(at, 'circular reference');
  seen.add(value);
  try {
    if (Array.isArray(value)) {
      const items = value.map((v, i) => {
        const item = { parent: at, key: i };
        return v === undefined ? fail(item, 'undefined in an array') : encode(v, item, seen);
      });
      return `[${items.join(',')}]`;
    }
    if (!isPlainObject(value)) fail(at, `${value.constructor?.name ?? 'object'} is not a plain object`);
    const record = value as Record<string, unknown>;
    const parts: string[] = [];
    for (const key of Object.keys(record).sort()) {
      const v = record[key];
      if (v === undefined) continue; // as JSON.stringify: an absent key and an undefined one are the same
      parts.push(`${JSON.stringify(key)}:${encode(v, { parent: at, key }, seen)}`);
    }
    return `{${parts.join(',')}}`;
  } finally {
    seen.delete(value);
  }
}

/** A copy of a JSON-like value with every object's keys in sorted order (for pretty output). */
export function sortKeysDeep<T>(value: T): T {
  if (Array.isArray(value)) return value.map((v: unknown) => sortKeysDeep(v)) as T;
  if (value === null || typeof value !== 'object' || !isPlainObject(value)) return value;
  const record = value as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(record).sort()) out[key] = sortKeysDeep(record[key]);
  return out as T;
}

function isPlainObject(value: object): boolean {
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/** `a.b[2]["odd key"]`: the path as the error names it. */
function pathText(at: At | null): string {
  if (at === null) return '';
  const parent = pathText(at.parent);
  if (typeof at.key === 'number') return `${parent}[${at.key}]`;
  if (/^[A-Za-z_$][\w$]*$/.test(at.key)) return parent === '' ? at.key : `${parent}.${at.key}`;
  return `${parent}[${JSON.stringify(at.key)}]`;
}

function fail(at: At | null, reason: string): never {
  const path = pathText(at);
  throw new CanonicalJsonError(path === '' ? '(root)' : path, reason);
}
