import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { SCHEMA_DIR, SUPERGRAPH_FILE } from './paths';

/** The names of our subgraphs, each with an SDL file in schema/subgraphs/. */
export type SubgraphName = 'recommendations' | 'features' | 'experiments';

/** A subgraph's SDL, the single source of truth for its schema. */
export function subgraphSdl(name: SubgraphName): string {
  return readFileSync(join(SCHEMA_DIR, 'subgraphs', `${name}.graphql`), 'utf8');
}

/** The committed supergraph the gateway serves (no introspection of subgraphs in production). */
export function committedSupergraph(): string {
  return readFileSync(SUPERGRAPH_FILE, 'utf8');
}
