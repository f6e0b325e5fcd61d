import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { endianness } from 'node:os';
import { join } from 'node:path';
import type { Metric } from './VectorIndex';
import { VectorStore } from './VectorStore';

// On-disk layout of a saved index directory. meta.json is written last, so a directory whose save
// was interrupted has no meta.json and is refused by loadVectorIndex.
export const FILES = {
  meta: 'meta.json',
  ids: 'ids.json',
  vectors: 'vectors.f32',
  faiss: 'index.faiss',
} as const;

const FORMAT = 'recs-vector-index';
const VERSION = 1;

/** What meta.json records: enough to rebuild the right backend with the same parameters. */
export interface IndexMeta {
  format: typeof FORMAT;
  version: typeof VERSION;
  kind: string;
  metric: Metric;
  dim: number;
  size: number;
  /** Vector file encoding; raw host-order floats, so we record and check the byte order. */
  vectors: 'float32-le';
  params: Record<string, number>;
}

/** Writes the common files plus any backend-specific ones (`extra`, file name -> bytes). */
export async function writeIndexDir(
  dir: string,
  kind: string,
  store: VectorStore,
  params: Record<string, number>,
  extra: Record<string, Uint8Array> = {},
): Promise<void> {
  assertLittleEndian();
  await mkdir(dir, { recursive: true });
  const values = store.values;
  const meta: IndexMeta = {
    format: FORMAT,
    version: VERSION,
    kind,
    metric: 'ip',
    dim: store.dim,
    size: store.size,
    vectors: 'float32-le',
    params,
  };
  for (const [name, bytes] of Object.entries(extra)) await writeFile(join(dir, name), bytes);
  await writeFile(
    join(dir, FILES.vectors),
    new Uint8Array(values.buffer, values.byteOffset, values.byteLength),
  );
  await writeFile(join(dir, FILES.ids), JSON.stringify(store.ids));
  await writeFile(join(dir, FILES.meta), JSON.stringify(meta, null, 2) + '\n');
}

/** Reads and cross-checks meta, ids and vectors of a saved index. */
export async function readIndexDir(dir: string): Promise<{ meta: IndexMeta; store: VectorStore }> {
  assertLittleEndian();
  const where = (file: string) => join(dir, file);
  let meta: IndexMeta;
  try {
    meta = JSON.parse(await readFile(where(FILES.meta), 'utf8')) as IndexMeta;
  } catch (err) {
    throw new Error(
      `not a saved vector index: cannot read ${where(FILES.meta)} (${(err as Error).message})`,
      {
        cause: err,
      },
    );
  }
  if (meta?.format !== FORMAT || meta.version !== VERSION) {
    throw new Error(
      `${where(FILES.meta)} is not a ${FORMAT} v${VERSION} file; received format ${JSON.stringify(meta?.format)} version ${JSON.stringify(meta?.version)}`,
    );
  }
  if (meta.metric !== 'ip' || meta.vectors !== 'float32-le') {
    throw new Error(
      `${where(FILES.meta)} has unsupported metric/encoding; received ${JSON.stringify(meta.metric)}/${JSON.stringify(meta.vectors)}`,
    );
  }
  if (!Number.isInteger(meta.dim) || meta.dim < 1 || !Number.isInteger(meta.size) || meta.size < 0) {
    throw new Error(`${where(FILES.meta)} has an invalid dim/size; received ${meta.dim}/${meta.size}`);
  }
  const ids = JSON.parse(await readFile(where(FILES.ids), 'utf8')) as unknown;
  if (!Array.isArray(ids) || ids.length !== meta.size) {
    throw new Error(
      `${where(FILES.ids)} must list ${meta.size} ids; received ${Array.isArray(ids) ? ids.length : typeof ids}`,
    );
  }
  const bytes = await readFile(where(FILES.vectors));
  if (bytes.byteLength !== meta.size * meta.dim * 4) {
    throw new Error(
      `${where(FILES.vectors)} must hold ${meta.size} x ${meta.dim} float32 (${meta.size * meta.dim * 4} bytes); received ${bytes.byteLength} bytes`,
    );
  }
  // Copy into an aligned buffer: readFile's Buffer may sit at an odd offset of a shared pool.
  const vectors = new Float32Array(meta.size * meta.dim);
  new Uint8Array(vectors.buffer).set(bytes);
  const store = new VectorStore(meta.dim, Math.max(1, meta.size));
  store.validateAppend(ids, vectors);
  store.append(ids as string[], vectors);
  return { meta, store };
}

function assertLittleEndian(): void {
  if (endianness() !== 'LE') throw new Error(`vector files are little-endian; this host is ${endianness()}`);
}
