/**
 * faiss-node 0.5.1 exposes neither `efConstruction` nor `efSearch`, and `index_factory` always starts
 * at faiss's defaults (40 / 16), which gives poor recall. Both are plain int32 fields of the serialised
 * HNSW structure, so we round-trip an index through `toBuffer`/`fromBuffer` with the fields rewritten.
 * The parser walks faiss 1.7's `IHNf` layout and refuses anything it does not recognise rather than
 * guessing at offsets.
 */
export interface HnswSearchParams {
  efConstruction: number;
  efSearch: number;
}

/** Byte offset of `efConstruction` (followed by `efSearch`) in a serialised IndexHNSWFlat. */
function locate(buf: Buffer): number {
  const fail = (why: string): never => {
    throw new Error(`unrecognised faiss HNSW serialisation (${why}); cannot set efConstruction/efSearch`);
  };
  if (buf.length < 41 || buf.toString('latin1', 0, 4) !== 'IHNf') {
    fail(`expected fourcc IHNf, found ${JSON.stringify(buf.toString('latin1', 0, 4))}`);
  }
  // Index header: d:i32, ntotal:i64, two dummy i64, is_trained:u8, metric_type:i32 [, metric_arg:f32].
  let offset = 4 + 4 + 8 + 16 + 1;
  const metricType = buf.readInt32LE(offset);
  offset += 4 + (metricType > 1 ? 4 : 0);
  // HNSW vectors: assign_probas (f64), cum_nneighbor_per_level (i32), levels (i32), offsets (u64), neighbors (i32).
  for (const elementSize of [8, 4, 4, 8, 4]) {
    if (offset + 8 > buf.length) fail('truncated vector header');
    const n = buf.readBigUInt64LE(offset);
    offset += 8 + Number(n) * elementSize;
    if (offset > buf.length) fail(`vector of ${n} elements runs past the end`);
  }
  // entry_point, max_level, efConstruction, efSearch, upper_beam, then the flat storage index.
  const efOffset = offset + 8;
  if (efOffset + 12 + 3 > buf.length || buf.toString('latin1', offset + 20, offset + 23) !== 'IxF') {
    fail('storage index not found where expected');
  }
  return efOffset;
}

/** The efConstruction/efSearch stored in a serialised HNSW index. */
export function readHnswParams(buf: Buffer): HnswSearchParams {
  const offset = locate(buf);
  return { efConstruction: buf.readInt32LE(offset), efSearch: buf.readInt32LE(offset + 4) };
}

/** A copy of a serialised HNSW index with efConstruction/efSearch replaced. */
export function withHnswParams(buf: Buffer, params: HnswSearchParams): Buffer {
  const offset = locate(buf);
  const out = Buffer.from(buf);
  out.writeInt32LE(params.efConstruction, offset);
  out.writeInt32LE(params.efSearch, offset + 4);
  return out;
}
