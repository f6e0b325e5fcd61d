// Input checks shared by every backend, so all of them refuse bad input with the same messages.

/** Throws unless `value` is an integer within [min, max]. */
export function assertInteger(
  name: string,
  value: unknown,
  min: number,
  max = Number.MAX_SAFE_INTEGER,
): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    const range = max === Number.MAX_SAFE_INTEGER ? `>= ${min}` : `in [${min}, ${max}]`;
    throw new RangeError(`${name} must be an integer ${range}; received ${describe(value)}`);
  }
  return value;
}

/** Throws unless `k` is a positive integer. */
export function assertK(k: unknown): number {
  return assertInteger('k', k, 1);
}

/** Throws unless `values` is a Float32Array of `rows * dim` finite numbers; returns the row count. */
export function assertMatrix(name: string, values: unknown, dim: number, rows?: number): number {
  if (!(values instanceof Float32Array)) {
    throw new TypeError(`${name} must be a Float32Array; received ${describe(values)}`);
  }
  if (rows !== undefined && values.length !== rows * dim) {
    throw new RangeError(
      `${name} must hold ${rows} x ${dim} = ${rows * dim} values (dimension ${dim}); received length ${values.length}`,
    );
  }
  if (values.length % dim !== 0) {
    throw new RangeError(
      `${name} length must be a multiple of the index dimension ${dim}; received length ${values.length}`,
    );
  }
  for (let i = 0; i < values.length; i++) {
    if (!Number.isFinite(values[i])) {
      throw new RangeError(
        `${name} must contain only finite numbers; received ${values[i]} at position ${i} (row ${Math.floor(i / dim)}, column ${i % dim})`,
      );
    }
  }
  return values.length / dim;
}

/** Throws unless `exclude` is undefined or a Set. */
export function assertExclude(exclude: unknown): void {
  if (exclude !== undefined && !(exclude instanceof Set)) {
    throw new TypeError(`opts.exclude must be a Set of ids; received ${describe(exclude)}`);
  }
}

/** A short, printable description of a received value for error messages. */
export function describe(value: unknown): string {
  if (value instanceof Float32Array) return `Float32Array(${value.length})`;
  if (Array.isArray(value)) return `Array(${value.length})`;
  if (value === null || typeof value !== 'object')
    return typeof value === 'string' ? JSON.stringify(value) : String(value);
  return value.constructor?.name ?? 'object';
}
