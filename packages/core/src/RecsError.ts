import { GraphQLError } from 'graphql';
import { ErrorCode } from './ErrorCode';

/**
 * A GraphQL error whose `extensions.code` is one of {@link ErrorCode}. Thrown by resolvers and
 * request plugins; HTTP layers map it to a status with {@link httpStatusOf}.
 */
export class RecsError extends GraphQLError {
  readonly code: ErrorCode;

  constructor(code: ErrorCode, message: string, extensions: Record<string, unknown> = {}) {
    super(message, { extensions: { ...extensions, code } });
    this.code = code;
    this.name = 'RecsError';
  }
}

const STATUS: Partial<Record<ErrorCode, number>> = {
  [ErrorCode.BAD_USER_INPUT]: 400,
  [ErrorCode.QUERY_TOO_DEEP]: 400,
  [ErrorCode.TOO_MANY_ALIASES]: 400,
  [ErrorCode.DOCUMENT_TOO_LARGE]: 413,
  [ErrorCode.UNAUTHENTICATED]: 401,
  [ErrorCode.FORBIDDEN]: 403,
  [ErrorCode.NOT_FOUND]: 404,
  [ErrorCode.RATE_LIMITED]: 429,
  [ErrorCode.BACKEND_UNAVAILABLE]: 503,
};

/** The HTTP status that goes with a code when a request is refused before GraphQL execution. */
export function httpStatusOf(code: ErrorCode): number {
  return STATUS[code] ?? 500;
}

/** Shorthand for the most common refusal: bad input, naming the argument and what was received. */
export function badInput(argument: string, problem: string, received: unknown): RecsError {
  return new RecsError(
    ErrorCode.BAD_USER_INPUT,
    `${argument} ${problem}; received ${JSON.stringify(received)}`,
    {
      argument,
    },
  );
}
