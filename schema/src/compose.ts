import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { composeServices } from '@apollo/composition';
import { parse, printSchema, type GraphQLSchema } from 'graphql';
import type { SupergraphConfig } from './supergraphConfig';

export interface Composition {
  supergraphSdl: string;
  /** The schema clients see (federation machinery removed), printed. */
  apiSdl: string;
  apiSchema: GraphQLSchema;
  hints: string[];
}

/** Thrown with every composition error, one per line. */
export class CompositionError extends Error {
  constructor(readonly errors: string[]) {
    super(`composition failed:\n${errors.map((e) => `  - ${e}`).join('\n')}`);
  }
}

/** The @apollo/composition version installed, which rover.yaml's federation_version must name. */
export function installedCompositionVersion(): string {
  const require = createRequire(import.meta.url);
  return (require('@apollo/composition/package.json') as { version: string }).version;
}

/**
 * Composes the subgraphs listed in a supergraph config into a supergraph with @apollo/composition,
 * the same library rover uses. Extra subgraphs (e.g. a shop's catalogue) can be passed to prove our
 * graph composes with theirs.
 */
export function composeSupergraph(
  config: SupergraphConfig,
  extra: { name: string; url: string; sdl: string }[] = [],
): Composition {
  const installed = installedCompositionVersion();
  if (config.federationVersion !== installed) {
    throw new CompositionError([
      `rover.yaml pins federation_version ${config.federationVersion} but @apollo/composition ${installed} is installed`,
    ]);
  }
  const services = [
    ...config.subgraphs.map((s) => ({
      name: s.name,
      url: s.routingUrl,
      sdl: readFileSync(s.schemaFile, 'utf8'),
    })),
    ...extra,
  ].map((s) => ({ name: s.name, url: s.url, typeDefs: parse(s.sdl) }));
  const result = composeServices(services);
  if (result.errors) throw new CompositionError(result.errors.map((e) => e.message));
  const apiSchema = result.schema.toAPISchema().toGraphQLJSSchema();
  return {
    supergraphSdl: result.supergraphSdl.endsWith('\n') ? result.supergraphSdl : `${result.supergraphSdl}\n`,
    apiSdl: `${printSchema(apiSchema)}\n`,
    apiSchema,
    hints: result.hints.map((h) => h.toString()),
  };
}
