import type { AddressInfo } from 'node:net';
import Fastify, { type FastifyInstance } from 'fastify';
import mercurius from 'mercurius';
import { buildSubgraphSchema } from '@apollo/subgraph';
import { parse } from 'graphql';

/**
 * A stand-in for a shop's existing catalogue subgraph: it owns `Product.title` and `Product.price`
 * (and its own `Query.catalogueProducts`), as a real shop's would. Used to prove that our subgraphs
 * compose into, and are served within, a graph we do not own.
 */
export const CATALOGUE_SDL = `
extend schema @link(url: "https://specs.apollo.dev/federation/v2.7", import: ["@key"])

type Query {
  catalogueProducts(ids: [ID!]!): [Product]!
}

type Product @key(fields: "id") {
  id: ID!
  title: String!
  price: Float!
}
`;

export interface CatalogueSubgraph {
  url: string;
  sdl: string;
  /** How many entity references it resolved (to prove the gateway really went through it). */
  resolved(): number;
  stop(): Promise<void>;
}

export async function startCatalogueSubgraph(
  products: Map<string, { title: string; price: number }>,
): Promise<CatalogueSubgraph> {
  let resolved = 0;
  const find = (id: string) => {
    const p = products.get(id);
    return p ? { id, ...p } : null;
  };
  const schema = buildSubgraphSchema([
    {
      typeDefs: parse(CATALOGUE_SDL),
      resolvers: {
        Query: { catalogueProducts: (_: unknown, args: { ids: string[] }) => args.ids.map(find) },
        Product: {
          __resolveReference: (ref: { id: string }) => {
            resolved++;
            return find(ref.id);
          },
        },
      },
    },
  ]);
  const app: FastifyInstance = Fastify();
  await app.register(mercurius, { schema });
  await app.listen({ host: '127.0.0.1', port: 0 });
  return {
    url: `http://127.0.0.1:${(app.server.address() as AddressInfo).port}/graphql`,
    sdl: CATALOGUE_SDL,
    resolved: () => resolved,
    stop: () => app.close(),
  };
}
