/**
 * Who is calling, as verified by the gateway.
 * - `service`: a trusted backend with an API key; may read any user's data.
 * - `admin`: an API key that may also change state (models, experiments, other users' data).
 * - `user`: a shopper with a bearer token; may read and change only their own data.
 */
export type Principal =
  { kind: 'service'; role: 'service' | 'admin'; keyId: string } | { kind: 'user'; userId: string };

/** Whether the principal may read the data of `userId`. */
export function canReadUser(p: Principal, userId: string): boolean {
  return p.kind === 'service' || p.userId === userId;
}

/** Whether the principal may change the data of `userId` (its own, or any for an admin key). */
export function canWriteUser(p: Principal, userId: string): boolean {
  return (p.kind === 'service' && p.role === 'admin') || (p.kind === 'user' && p.userId === userId);
}

/** Whether the principal may change shared state (models, experiments, catalogue flags). */
export function isAdmin(p: Principal): boolean {
  return p.kind === 'service' && p.role === 'admin';
}
