/** Thrown when a candidate source misses its time budget. */
export class SourceTimeoutError extends Error {}

/**
 * Resolves like `work`, or rejects with {@link SourceTimeoutError} after `ms`: a slow backend costs
 * a request at most its budget. The late result is dropped (and its rejection swallowed).
 */
export function withTimeout<T>(work: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new SourceTimeoutError(`${what} took longer than ${ms} ms`)), ms);
  });
  work.catch(() => undefined);
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}
