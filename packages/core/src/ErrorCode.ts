/**
 * Every error code the engine puts in `extensions.code` of a GraphQL error, or prints from a CLI.
 * Clients branch on these strings, so they are part of the public contract: add, never rename.
 */
export enum ErrorCode {
  BAD_USER_INPUT = 'BAD_USER_INPUT',
  UNAUTHENTICATED = 'UNAUTHENTICATED',
  FORBIDDEN = 'FORBIDDEN',
  NOT_FOUND = 'NOT_FOUND',
  /** The change lost to a concurrent one, or the state it assumed is gone. */
  CONFLICT = 'CONFLICT',
  QUERY_TOO_DEEP = 'QUERY_TOO_DEEP',
  TOO_MANY_ALIASES = 'TOO_MANY_ALIASES',
  DOCUMENT_TOO_LARGE = 'DOCUMENT_TOO_LARGE',
  RATE_LIMITED = 'RATE_LIMITED',
  BACKEND_UNAVAILABLE = 'BACKEND_UNAVAILABLE',
  CONFIG_INVALID = 'CONFIG_INVALID',
  INTERNAL_SERVER_ERROR = 'INTERNAL_SERVER_ERROR',
}
