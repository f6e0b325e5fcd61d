import { ErrorCode, RecsError, badInput } from '@recs/core';
import type { FeatureRecord, FeatureValue } from './FeatureStore';

/*
 * Stored record: `{"updatedAt":<ms>,"values":{"<field>":"<JSON of the value>",...}}`. Each value is
 * JSON-encoded on its own because `merge` runs as a Lua script, and Redis' cjson would turn `[]` into
 * `{}` and round numbers to 14 digits; strings and a 13-digit integer pass through it unchanged.
 */

type Field = FeatureValue[string];

function isField(value: unknown): value is Field {
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return true;
  if (typeof value === 'number') return Number.isFinite(value);
  if (!Array.isArray(value)) return false;
  return (
    value.every((item) => typeof item === 'number' && Number.isFinite(item)) ||
    value.every((item) => typeof item === 'string')
  );
}

/**
 * Rejects values that would not survive JSON or break the {@link FeatureValue} shape, naming the entity
 * and field.
 */
export function checkValues(entity: string, values: unknown): asserts values is FeatureValue {
  if (typeof values !== 'object' || values === null || Array.isArray(values)) {
    throw badInput(`values of ${entity}`, 'must be an object of features', values);
  }
  for (const [field, value] of Object.entries(values)) {
    if (field === '') throw badInput(`values of ${entity}`, 'must not have an empty field name', values);
    if (!isField(value)) {
      throw badInput(
        `feature "${field}" of ${entity}`,
        'must be null, a boolean, a string, a finite number, or an array of only finite numbers or only strings',
        // JSON.stringify would show NaN and Infinity as null, hiding the actual problem.
        typeof value === 'number' ? String(value) : value,
      );
    }
  }
}

/** The stored form of each field, as sent to the merge script. */
export function encodeFields(values: FeatureValue): Record<string, string> {
  const fields: Record<string, string> = {};
  for (const [field, value] of Object.entries(values)) fields[field] = JSON.stringify(value);
  return fields;
}

export function encodeRecord(values: FeatureValue, updatedAt: number): string {
  return JSON.stringify({ updatedAt, values: encodeFields(values) });
}

/** The error for a stored value this code cannot read; names the key so it can be inspected or deleted. */
export function corrupt(key: string, problem: string, raw: string): RecsError {
  const shown = raw.length > 120 ? `${raw.slice(0, 120)}...` : raw;
  return new RecsError(
    ErrorCode.INTERNAL_SERVER_ERROR,
    `corrupt value at key "${key}": ${problem}; received ${JSON.stringify(shown)}`,
    { key },
  );
}

function parse(key: string, raw: string): unknown {
  try {
    return JSON.parse(raw);
  } catch (err) {
    throw corrupt(key, `not JSON (${(err as Error).message})`, raw);
  }
}

export function decodeRecord(key: string, raw: string): FeatureRecord {
  const stored = parse(key, raw) as { updatedAt?: unknown; values?: unknown } | null;
  if (typeof stored !== 'object' || stored === null || Array.isArray(stored)) {
    throw corrupt(key, 'expected a feature record object', raw);
  }
  const { updatedAt, values: fields } = stored;
  if (typeof updatedAt !== 'number' || !Number.isFinite(updatedAt)) {
    throw corrupt(key, 'updatedAt is not a number', raw);
  }
  if (typeof fields !== 'object' || fields === null || Array.isArray(fields)) {
    throw corrupt(key, 'values is not an object', raw);
  }
  const values: FeatureValue = {};
  for (const [field, encoded] of Object.entries(fields)) {
    const value = typeof encoded === 'string' ? parse(key, encoded) : undefined;
    if (!isField(value)) throw corrupt(key, `feature "${field}" is not a valid feature value`, raw);
    values[field] = value;
  }
  return { values, updatedAt };
}

export function encodeList(values: string[]): string {
  return JSON.stringify(values);
}

export function decodeList(key: string, raw: string): string[] {
  const list = parse(key, raw);
  if (!Array.isArray(list) || !list.every((item) => typeof item === 'string')) {
    throw corrupt(key, 'expected a JSON array of strings', raw);
  }
  return list;
}
