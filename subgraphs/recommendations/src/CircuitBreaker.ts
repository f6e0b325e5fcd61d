/** Thrown instead of calling a backend whose circuit is open. */
export class CircuitOpenError extends Error {}

export interface CircuitBreakerOptions {
  /** Consecutive failures that open the circuit (default 5). */
  failureThreshold?: number;
  /** How long an open circuit refuses calls before letting one probe through (default 5000 ms). */
  coolDownMs?: number;
  now?: () => number;
  /** Called on every state change, for logs and metrics. */
  onStateChange?: (state: CircuitState) => void;
}

export type CircuitState = 'closed' | 'open' | 'half_open';

/**
 * A dead or slow backend should cost no latency: after `failureThreshold` consecutive failures (time-outs
 * included) the circuit opens and calls fail at once with {@link CircuitOpenError}; after `coolDownMs` one
 * probe call goes through (half-open, the others still fail fast): its success closes the circuit, its
 * failure opens it for another cool-down.
 */
export class CircuitBreaker {
  private failures = 0;
  private openedAt = 0;
  private probing = false;
  private current: CircuitState = 'closed';
  private readonly threshold: number;
  private readonly coolDownMs: number;
  private readonly now: () => number;

  constructor(
    readonly name: string,
    private readonly opts: CircuitBreakerOptions = {},
  ) {
    this.threshold = opts.failureThreshold ?? 5;
    this.coolDownMs = opts.coolDownMs ?? 5000;
    this.now = opts.now ?? Date.now;
  }

  get state(): CircuitState {
    return this.current;
  }

  async run<T>(work: () => Promise<T>): Promise<T> {
    if (this.current === 'open') {
      if (this.now() - this.openedAt < this.coolDownMs) throw this.refusal();
      this.set('half_open');
    }
    if (this.current === 'half_open') {
      if (this.probing) throw this.refusal();
      this.probing = true;
    }
    try {
      const result = await work();
      this.failures = 0;
      this.probing = false;
      if (this.current !== 'closed') this.set('closed');
      return result;
    } catch (err) {
      this.failures++;
      this.probing = false;
      if (this.current === 'half_open' || this.failures >= this.threshold) {
        this.openedAt = this.now();
        if (this.current !== 'open') this.set('open');
      }
      throw err;
    }
  }

  private refusal(): CircuitOpenError {
    return new CircuitOpenError(`${this.name} circuit is open after repeated failures`);
  }

  private set(state: CircuitState): void {
    this.current = state;
    this.opts.onStateChange?.(state);
  }
}
