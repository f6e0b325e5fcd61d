import { assertMatrix, describe } from './validate';

/**
 * The id <-> row map and a copy of every vector, shared by all backends: faiss-node can neither map
 * string ids nor reconstruct vectors, and brute force searches this storage directly.
 */
export class VectorStore {
  readonly ids: string[] = [];
  private readonly rowOf = new Map<string, number>();
  private data: Float32Array;

  constructor(
    readonly dim: number,
    initialCapacityRows = 1024,
  ) {
    this.data = new Float32Array(dim * initialCapacityRows);
  }

  get size(): number {
    return this.ids.length;
  }

  /** Row-major values of all stored vectors (a view; valid until the next append). */
  get values(): Float32Array {
    return this.data.subarray(0, this.size * this.dim);
  }

  row(id: string): number | undefined {
    return this.rowOf.get(id);
  }

  vector(id: string): Float32Array | undefined {
    const row = this.rowOf.get(id);
    return row === undefined ? undefined : this.data.slice(row * this.dim, (row + 1) * this.dim);
  }

  /**
   * Checks a batch for `add` without changing anything, so the caller can fail before touching its
   * backend; returns the number of rows.
   */
  validateAppend(ids: unknown, vectors: unknown): number {
    if (!Array.isArray(ids))
      throw new TypeError(`ids must be an array of strings; received ${describe(ids)}`);
    const rows = assertMatrix('vectors', vectors, this.dim, ids.length);
    const seen = new Set<string>();
    ids.forEach((id: unknown, i) => {
      if (typeof id !== 'string' || id.length === 0) {
        throw new TypeError(`ids[${i}] must be a non-empty string; received ${describe(id)}`);
      }
      if (this.rowOf.has(id)) throw new Error(`duplicate id ${JSON.stringify(id)}: already in the index`);
      if (seen.has(id))
        throw new Error(`duplicate id ${JSON.stringify(id)}: appears twice in this add() batch`);
      seen.add(id);
    });
    return rows;
  }

  /** Appends an already validated batch. */
  append(ids: string[], vectors: Float32Array): void {
    const needed = (this.size + ids.length) * this.dim;
    if (needed > this.data.length) {
      const grown = new Float32Array(Math.max(needed, this.data.length * 2));
      grown.set(this.values);
      this.data = grown;
    }
    this.data.set(vectors, this.size * this.dim);
    for (const id of ids) {
      this.rowOf.set(id, this.ids.length);
      this.ids.push(id);
    }
  }
}
