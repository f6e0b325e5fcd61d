import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { REPO_ROOT } from './paths';

export interface SubgraphConfig {
  name: string;
  routingUrl: string;
  schemaFile: string;
}

export interface SupergraphConfig {
  federationVersion: string;
  subgraphs: SubgraphConfig[];
}

/** Thrown when rover.yaml is missing a key or has one of the wrong shape. */
export class SupergraphConfigError extends Error {}

/**
 * Reads rover.yaml (rover's supergraph-config format: `federation_version`, and per subgraph a
 * `routing_url` and `schema.file` relative to the YAML file).
 */
export function readSupergraphConfig(file = resolve(REPO_ROOT, 'rover.yaml')): SupergraphConfig {
  const doc = parseYaml(readFileSync(file, 'utf8')) as Record<string, unknown> | null;
  const fail = (what: string): never => {
    throw new SupergraphConfigError(`${file}: ${what}`);
  };
  if (!doc || typeof doc !== 'object') return fail('is empty');
  const fv = doc.federation_version;
  if (typeof fv !== 'string' || !/^=?2\.\d+\.\d+$/.test(fv))
    return fail(`federation_version must be like "=2.14.4"; received ${JSON.stringify(fv)}`);
  const subs = doc.subgraphs;
  if (!subs || typeof subs !== 'object') return fail('subgraphs must be a mapping');
  const subgraphs = Object.entries(subs as Record<string, unknown>).map(([name, v]) => {
    const s = v as { routing_url?: unknown; schema?: { file?: unknown } } | null;
    if (typeof s?.routing_url !== 'string') return fail(`subgraphs.${name}.routing_url must be a URL`);
    if (typeof s.schema?.file !== 'string') return fail(`subgraphs.${name}.schema.file must be a path`);
    return { name, routingUrl: s.routing_url, schemaFile: resolve(dirname(file), s.schema.file) };
  });
  if (subgraphs.length === 0) return fail('lists no subgraphs');
  return { federationVersion: fv.replace(/^=/, ''), subgraphs };
}
