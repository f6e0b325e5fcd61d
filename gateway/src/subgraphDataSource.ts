import { RemoteGraphQLDataSource } from '@apollo/gateway';
import { HEADERS } from '@recs/core';
import type { GatewayContext } from './GatewayContext';
import { httpFetcher } from './httpFetcher';

/**
 * The data source for one subgraph: overrides the supergraph's routing URL when configured, bounds
 * each call by a timeout, and forwards the verified caller with the gateway's shared secret (the
 * subgraph trusts the principal headers only together with the secret). Calls go through
 * {@link httpFetcher} (keep-alive `node:http`).
 */
export function subgraphDataSource(opts: {
  url: string;
  gatewaySecret: string;
  timeoutMs: number;
}): RemoteGraphQLDataSource<GatewayContext> {
  return new RemoteGraphQLDataSource<GatewayContext>({
    url: opts.url,
    fetcher: httpFetcher({ timeoutMs: opts.timeoutMs }) as unknown as RemoteGraphQLDataSource['fetcher'],
    willSendRequest({ request, context }) {
      const h = request.http!.headers;
      for (const [k, v] of Object.entries(callerHeaders(opts.gatewaySecret, context as GatewayContext))) {
        h.set(k, v);
      }
    },
  });
}

/** The headers by which a subgraph learns the verified caller (trusted only with the shared secret). */
export function callerHeaders(gatewaySecret: string, context: GatewayContext): Record<string, string> {
  const p = context.principal;
  return {
    [HEADERS.gatewaySecret]: gatewaySecret,
    [HEADERS.requestId]: context.requestId,
    [HEADERS.principalKind]: p.kind,
    ...(p.kind === 'service'
      ? { [HEADERS.principalRole]: p.role, [HEADERS.principalUser]: p.keyId }
      : { [HEADERS.principalUser]: p.userId }),
  };
}
