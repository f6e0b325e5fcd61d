import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { assertExclude, assertInteger, assertK, assertMatrix } from './validate';
import type { SearchHit, SearchOptions, VectorIndex } from './VectorIndex';
import { VectorStore } from './VectorStore';

/** The file a sharded index directory is recognised by (written last, after every shard). */
export const SHARDS_FILE = 'shards.json';
const FORMAT = 'recs-vector-index-shards';

interface ShardsMeta {
  format: typeof FORMAT;
  version: 1;
  dim: number;
  shards: number;
  kind: string;
}

/** FNV-1a (32 bit) of the id: the shard of an id, stable across processes and machines. */
export function shardOf(id: string, shards: number): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < id.length; i++) {
    h ^= id.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return (h >>> 0) % shards;
}

/**
 * Merges per-shard result lists (each best first) into the global top `k`, best first. A pure
 * function, so a search fanned out to remote shards merges exactly like the in-process one; ties keep
 * the lower shard first.
 */
export function mergeTopK(lists: readonly (readonly SearchHit[])[], k: number): SearchHit[] {
  const at = lists.map(() => 0);
  const out: SearchHit[] = [];
  while (out.length < k) {
    let best = -1;
    for (let s = 0; s < lists.length; s++) {
      const hit = lists[s]![at[s]!];
      if (hit && (best < 0 || hit.score > lists[best]![at[best]!]!.score)) best = s;
    }
    if (best < 0) break;
    out.push(lists[best]![at[best]!++]!);
  }
  return out;
}

/**
 * N indexes behind one: every id lives in the shard {@link shardOf} names, a query asks every shard
 * for its own top `k` and {@link mergeTopK} keeps the best `k`, so a sharded exact index returns
 * exactly what one exact index over all vectors returns. In one process the shards are searched one
 * after the other (faiss parallelises inside each search); across machines each shard is a server and
 * the same merge runs on the answers. Approximate shards (IVF) each need their own training: the first
 * `add` must give every shard at least `nlist` vectors.
 */
export class ShardedIndex implements VectorIndex {
  readonly kind: string;

  constructor(private readonly shards: readonly VectorIndex[]) {
    if (shards.length < 1) throw new RangeError('a sharded index needs at least one shard');
    const kinds = new Set(shards.map((s) => s.kind));
    const dims = new Set(shards.map((s) => s.dim));
    if (kinds.size !== 1 || dims.size !== 1) {
      throw new RangeError(
        `shards must share kind and dimension; received kinds ${[...kinds].join(', ')}, dims ${[...dims].join(', ')}`,
      );
    }
    this.kind = `sharded-${shards[0]!.kind}`;
  }

  /** Creates `count` empty shards with `factory`. */
  static create(count: number, factory: () => VectorIndex): ShardedIndex {
    const n = assertInteger('shards', count, 1, 4096);
    return new ShardedIndex(Array.from({ length: n }, factory));
  }

  get dim(): number {
    return this.shards[0]!.dim;
  }

  get size(): number {
    return this.shards.reduce((sum, s) => sum + s.size, 0);
  }

  get shardCount(): number {
    return this.shards.length;
  }

  add(ids: string[], vectors: Float32Array): void {
    // the whole batch is checked before any shard changes, so a refused batch adds nothing
    const rows = new VectorStore(this.dim, 1).validateAppend(ids, vectors);
    for (const id of ids) {
      if (this.shards[shardOf(id, this.shards.length)]!.vector(id) !== undefined)
        throw new Error(`duplicate id ${JSON.stringify(id)}: already in the index`);
    }
    const groups = this.shards.map(() => [] as number[]);
    for (let r = 0; r < rows; r++) groups[shardOf(ids[r]!, this.shards.length)]!.push(r);
    groups.forEach((group, s) => {
      if (group.length === 0) return;
      const part = new Float32Array(group.length * this.dim);
      group.forEach((r, i) => part.set(vectors.subarray(r * this.dim, (r + 1) * this.dim), i * this.dim));
      this.shards[s]!.add(
        group.map((r) => ids[r]!),
        part,
      );
    });
  }

  search(query: Float32Array, k: number, opts: SearchOptions = {}): SearchHit[] {
    assertMatrix('query', query, this.dim, 1);
    assertK(k);
    assertExclude(opts.exclude);
    return mergeTopK(
      this.shards.map((s) => (s.size > 0 ? s.search(query, k, opts) : [])),
      k,
    );
  }

  searchBatch(queries: Float32Array, k: number): SearchHit[][] {
    const nq = assertMatrix('queries', queries, this.dim);
    assertK(k);
    const perShard = this.shards.map((s) =>
      s.size > 0 ? s.searchBatch(queries, k) : Array.from({ length: nq }, () => []),
    );
    return Array.from({ length: nq }, (_, q) =>
      mergeTopK(
        perShard.map((lists) => lists[q]!),
        k,
      ),
    );
  }

  vector(id: string): Float32Array | undefined {
    return this.shards[shardOf(id, this.shards.length)]!.vector(id);
  }

  /** Writes every shard into `dir/shard-<i>`, then {@link SHARDS_FILE}; read back with `loadVectorIndex`. */
  async save(dir: string): Promise<void> {
    await mkdir(dir, { recursive: true });
    for (let s = 0; s < this.shards.length; s++) await this.shards[s]!.save(join(dir, `shard-${s}`));
    const meta: ShardsMeta = {
      format: FORMAT,
      version: 1,
      dim: this.dim,
      shards: this.shards.length,
      kind: this.kind,
    };
    await writeFile(join(dir, SHARDS_FILE), JSON.stringify(meta, null, 2) + '\n');
  }

  /** Loads a directory written by {@link save}, each shard with `loadShard`. */
  static async load(dir: string, loadShard: (dir: string) => Promise<VectorIndex>): Promise<ShardedIndex> {
    const where = join(dir, SHARDS_FILE);
    const meta = JSON.parse(await readFile(where, 'utf8')) as ShardsMeta;
    if (meta?.format !== FORMAT || meta.version !== 1 || !Number.isInteger(meta.shards) || meta.shards < 1) {
      throw new Error(`${where} is not a ${FORMAT} v1 file with a shard count`);
    }
    const shards: VectorIndex[] = [];
    for (let s = 0; s < meta.shards; s++) shards.push(await loadShard(join(dir, `shard-${s}`)));
    const index = new ShardedIndex(shards);
    if (index.dim !== meta.dim) throw new Error(`${where}: dimension ${meta.dim}, shards have ${index.dim}`);
    return index;
  }
}
