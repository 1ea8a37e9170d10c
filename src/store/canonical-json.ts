/**
 * Canonical JSON: object keys sorted (by UTF-16 code unit, locale-free), no whitespace, and
 * only values that survive a JSON round trip unchanged. Anything ambiguous (NaN, undefined
 * in an array, a Date, a cycle) is rejected instead of being silently coerced, so two
 * machines can never derive different cache keys from "the same" value.
 */
import { CanonicalJsonError } from './errors.js';

/** Serialize `value` canonically; throws {@link CanonicalJsonError} naming the offending path. */
export function canonicalJson(value: unknown): string {
  return encode(value, '', new Set());
}

function encode(value: unknown, path: string, seen: Set<object>): string {
  if (value === null) return 'null';
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return JSON.stringify(value);
    case 'number':
      if (!Number.isFinite(value)) fail(path, `${String(value)} is not a finite number`);
      return JSON.stringify(value);
    case 'object':
      return encodeObject(value, path, seen);
    default:
      return fail(path, `${typeof value} is not a JSON value`);
  }
}

function encodeObject(value: object, path: string, seen: Set<object>): string {
  if (seen.has(value)) fail(path, 'circular reference');
  seen.add(value);
  try {
    if (Array.isArray(value)) {
      const items = value.map((v, i) => {
        const at = `${path}[${i}]`;
        return v === undefined ? fail(at, 'undefined in an array') : encode(v, at, seen);
      });
      return `[${items.join(',')}]`;
    }
    if (!isPlainObject(value)) fail(path, `${value.constructor?.name ?? 'object'} is not a plain object`);
    const record = value as Record<string, unknown>;
    const parts: string[] = [];
    for (const key of Object.keys(record).sort()) {
      const v = record[key];
      if (v === undefined) continue; // as JSON.stringify: an absent key and an undefined one are the same
      parts.push(`${JSON.stringify(key)}:${encode(v, joinKey(path, key), seen)}`);
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

function joinKey(path: string, key: string): string {
  if (/^[A-Za-z_$][\w$]*$/.test(key)) return path === '' ? key : `${path}.${key}`;
  return `${path}[${JSON.stringify(key)}]`;
}

function fail(path: string, reason: string): never {
  throw new CanonicalJsonError(path === '' ? '(root)' : path, reason);
}
