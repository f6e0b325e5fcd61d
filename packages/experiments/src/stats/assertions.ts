// Argument checks shared by the statistics functions. Each throws a RangeError that names the argument,
// states the contract and shows what was received, so a caller can fix the call without reading source.

function show(value: unknown): string {
  return typeof value === 'number' ? String(value) : JSON.stringify(value);
}

/** A finite number. */
export function assertFinite(name: string, value: number): void {
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    throw new RangeError(`${name} must be a finite number; received ${show(value)}`);
  }
}

/** A finite number > 0. */
export function assertPositive(name: string, value: number): void {
  if (typeof value !== 'number' || !Number.isFinite(value) || !(value > 0)) {
    throw new RangeError(`${name} must be a finite number > 0; received ${show(value)}`);
  }
}

/** A finite number >= 0. */
export function assertNonNegative(name: string, value: number): void {
  if (typeof value !== 'number' || !Number.isFinite(value) || !(value >= 0)) {
    throw new RangeError(`${name} must be a finite number >= 0; received ${show(value)}`);
  }
}

/** A probability strictly inside (0, 1): a significance level, a power, a rate. */
export function assertOpenUnit(name: string, value: number): void {
  if (typeof value !== 'number' || !(value > 0 && value < 1)) {
    throw new RangeError(`${name} must be in (0, 1); received ${show(value)}`);
  }
}

/** An integer count >= `min`. */
export function assertCount(name: string, value: number, min = 0): void {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min) {
    throw new RangeError(`${name} must be an integer >= ${min}; received ${show(value)}`);
  }
}

/** An array of at least `min` finite numbers. */
export function assertFiniteArray(name: string, values: readonly number[], min: number): void {
  if (!Array.isArray(values))
    throw new RangeError(`${name} must be an array of numbers; received ${show(values)}`);
  if (values.length < min) {
    throw new RangeError(`${name} must hold at least ${min} values; received ${values.length}`);
  }
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (typeof v !== 'number' || !Number.isFinite(v)) {
      throw new RangeError(`${name}[${i}] must be a finite number; received ${show(v)}`);
    }
  }
}

/** Two arrays that pair up element by element. */
export function assertSameLength(
  nameA: string,
  a: readonly unknown[],
  nameB: string,
  b: readonly unknown[],
): void {
  if (a.length !== b.length) {
    throw new RangeError(
      `${nameA} and ${nameB} must have the same length; received ${a.length} and ${b.length}`,
    );
  }
}
