import type { EntityKind } from './FeatureStore';

/** Prefix of every key unless a store is given another one. */
export const DEFAULT_KEY_PREFIX = 'recs';
/** Bumped when the stored encoding changes, so old and new writers never read each other's records. */
export const DEFAULT_SCHEMA_VERSION = 1;

/** Key of one entity's feature record: `<prefix>:v<version>:feat:<kind>:<id>`, e.g. `recs:v1:feat:user:17850`. */
export function featureKey(prefix: string, version: number, kind: EntityKind, id: string): string {
  return `${prefix}:v${version}:feat:${kind}:${id}`;
}

/** Key of a precomputed list: `<prefix>:v<version>:list:<name>`, e.g. `recs:v1:list:popular:GB`. */
export function listKey(prefix: string, version: number, name: string): string {
  return `${prefix}:v${version}:list:${name}`;
}

/** Key of a named set of strings: `<prefix>:v<version>:set:<name>`, e.g. `recs-live:v1:set:forgotten-users`. */
export function setKey(prefix: string, version: number, name: string): string {
  return `${prefix}:v${version}:set:${name}`;
}
