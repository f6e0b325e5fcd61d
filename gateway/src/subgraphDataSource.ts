import { RemoteGraphQLDataSource } from '@apollo/gateway';
import { HEADERS } from '@recs/core';
import type { GatewayContext } from './GatewayContext';

/**
 * The data source for one subgraph: overrides the supergraph's routing URL when configured, bounds
 * each call by a timeout, and forwards the verified caller with the gateway's shared secret (the
 * subgraph trusts the principal headers only together with the secret).
 */
export function subgraphDataSource(opts: {
  url: string;
  gatewaySecret: string;
  timeoutMs: number;
}): RemoteGraphQLDataSource<GatewayContext> {
  return new RemoteGraphQLDataSource<GatewayContext>({
    url: opts.url,
    fetcher: ((url: string, init: RequestInit) =>
      fetch(url, {
        ...init,
        signal: AbortSignal.timeout(opts.timeoutMs),
      })) as unknown as RemoteGraphQLDataSource['fetcher'],
    willSendRequest({ request, context }) {
      const h = request.http!.headers;
      h.set(HEADERS.gatewaySecret, opts.gatewaySecret);
      h.set(HEADERS.requestId, context.requestId);
      const p = context.principal;
      h.set(HEADERS.principalKind, p.kind);
      if (p.kind === 'service') {
        h.set(HEADERS.principalRole, p.role);
        h.set(HEADERS.principalUser, p.keyId);
      } else {
        h.set(HEADERS.principalUser, p.userId);
      }
    },
  });
}
