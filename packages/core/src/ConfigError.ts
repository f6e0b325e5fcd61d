/** Thrown once at start-up when an environment variable is missing or malformed. */
export class ConfigError extends Error {
  constructor(
    readonly key: string,
    readonly expectation: string,
    readonly received: string | undefined,
  ) {
    super(
      `config ${key} must be ${expectation}; received ${received === undefined ? 'nothing' : JSON.stringify(received)}`,
    );
    this.name = 'ConfigError';
  }
}
