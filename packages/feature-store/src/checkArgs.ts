import { badInput, isValidId } from '@recs/core';
import type { EntityKind, SetChange, SetManyOptions } from './FeatureStore';

const KINDS: ReadonlySet<string> = new Set<EntityKind>(['user', 'product']);

export function checkKind(kind: EntityKind): void {
  if (!KINDS.has(kind)) throw badInput('kind', 'must be "user" or "product"', kind);
}

export function checkId(kind: EntityKind, id: string): void {
  if (typeof id !== 'string' || !isValidId(id)) {
    throw badInput(`${kind} id`, 'must be 1..64 printable characters without surrounding spaces', id);
  }
}

export function checkIds(kind: EntityKind, ids: readonly string[]): void {
  checkKind(kind);
  if (!Array.isArray(ids)) throw badInput('ids', 'must be an array', ids);
  for (const id of ids) checkId(kind, id);
}

/** TTL in whole milliseconds (at least 1), or undefined for no expiry. */
export function ttlMillis(opts: SetManyOptions | undefined): number | undefined {
  const ttl = opts?.ttlSeconds;
  if (ttl === undefined) return undefined;
  if (typeof ttl !== 'number' || !Number.isFinite(ttl) || ttl <= 0) {
    throw badInput('ttlSeconds', 'must be a positive number', ttl);
  }
  return Math.max(1, Math.round(ttl * 1000));
}

export function checkListName(name: string, what = 'list'): void {
  if (typeof name !== 'string' || !/^[\x21-\x7e]{1,128}$/.test(name)) {
    throw badInput(`${what} name`, 'must be 1..128 printable characters without spaces', name);
  }
}

export function checkListValues(name: string, values: string[]): void {
  if (!Array.isArray(values) || !values.every((value) => typeof value === 'string')) {
    throw badInput(`list "${name}"`, 'must be an array of strings', values);
  }
}

/** Validates store options that become part of every key. */
export function checkNamespace(keyPrefix: string, schemaVersion: number): void {
  if (typeof keyPrefix !== 'string' || !/^[\x21-\x7e]{1,64}$/.test(keyPrefix) || /[*?[\]]/.test(keyPrefix)) {
    throw new TypeError(
      `keyPrefix must be 1..64 printable characters without spaces or glob characters; received ${JSON.stringify(keyPrefix)}`,
    );
  }
  if (!Number.isSafeInteger(schemaVersion) || schemaVersion < 1) {
    throw new TypeError(
      `schemaVersion must be a positive integer; received ${JSON.stringify(schemaVersion)}`,
    );
  }
}

/** Validates a {@link SetChange} for `field`; returns the member cap. */
export function checkSetChange(field: string, change: SetChange): number {
  if (typeof field !== 'string' || field === '')
    throw badInput('field', 'must be a non-empty field name', field);
  for (const side of ['add', 'remove'] as const) {
    const values = change[side];
    if (values === undefined) continue;
    if (!Array.isArray(values) || !values.every((v) => typeof v === 'string' && v !== '')) {
      throw badInput(`${side} of "${field}"`, 'must be an array of non-empty strings', values);
    }
  }
  const max = change.max ?? 1000;
  if (!Number.isSafeInteger(max) || max < 1) throw badInput('max', 'must be a positive integer', change.max);
  return max;
}

/** The members after applying `change` to `current` (the one definition both stores follow). */
export function applySetChange(current: readonly string[], change: SetChange, max: number): string[] {
  const removed = new Set(change.remove ?? []);
  const members = current.filter((v) => !removed.has(v));
  const present = new Set(members);
  for (const v of change.add ?? []) {
    if (!present.has(v) && !removed.has(v)) {
      present.add(v);
      members.push(v);
    }
  }
  return members.length > max ? members.slice(members.length - max) : members;
}

/** A named set and its members: the name like a list's, members non-empty strings of at most 1024 characters. */
export function checkSetMembers(name: string, members: readonly string[]): void {
  checkListName(name, 'set');
  if (
    !Array.isArray(members) ||
    !members.every((m) => typeof m === 'string' && m !== '' && m.length <= 1024)
  ) {
    throw badInput(
      `members of set "${name}"`,
      'must be an array of non-empty strings (at most 1024 characters)',
      members,
    );
  }
}
