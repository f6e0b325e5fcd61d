/** Thrown when a candidate source misses its time budget. */
export class SourceTimeoutError extends Error {}

/**
 * Resolves like `work`, or rejects with {@link SourceTimeoutError} after `ms`: a slow backend costs
 * a request at most its budget. The late result is dropped (and its rejection swallowed).
 *
 * The budget is the backend's, not this process's: when the timer comes due, the rejection waits for
 * the event loop's next check phase, after its I/O poll. An answer that reached the socket while the
 * loop was busy past the budget (a long request, a garbage collection) is read first and wins; Node
 * runs due timers before it polls for I/O, so without that step such a stall would time out a backend
 * that answered in time, and a few stalls in a row would open its circuit breaker.
 */
export function withTimeout<T>(work: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  let immediate: NodeJS.Immediate | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      immediate = setImmediate(() => reject(new SourceTimeoutError(`${what} took longer than ${ms} ms`)));
    }, ms);
  });
  work.catch(() => undefined);
  return Promise.race([work, timeout]).finally(() => {
    clearTimeout(timer);
    clearImmediate(immediate);
  });
}
