/**
 * Header names by which the gateway hands the verified caller to subgraphs. Subgraphs trust these only
 * when the request also carries the gateway's shared secret.
 */
export const HEADERS = {
  gatewaySecret: 'x-recs-gateway-secret',
  principalKind: 'x-recs-principal',
  principalUser: 'x-recs-user-id',
  principalRole: 'x-recs-role',
  requestId: 'x-request-id',
  apiKey: 'x-api-key',
} as const;
