/**
 * faiss-node 0.5.1 has no setter for an IVF index's `nprobe` (how many of the `nlist` inverted lists a
 * search visits), and `index_factory` always starts at 1, which gives poor recall. Like efSearch for
 * HNSW (`hnswParams.ts`), it is a plain field of the serialised index, so we round-trip the index
 * through `toBuffer`/`fromBuffer` with the field rewritten. faiss 1.7's layout of an IVF index is the
 * index header, `nlist` and `nprobe` (both size_t), then the coarse quantizer (another index, whose
 * fourcc starts with "I"). The parser checks all of it and refuses anything it does not recognise.
 */

/** fourcc of the IVF structures we build: IVF-Flat, IVF-PQ, IVF-PQ fast scan, IVF-ScalarQuantizer. */
const IVF_FOURCC = new Set(['IwFl', 'IwPQ', 'IwPf', 'IwSq']);

/** Byte offset of `nlist` (followed by `nprobe`) in a serialised IVF index. */
function locate(buf: Buffer): number {
  const fail = (why: string): never => {
    throw new Error(`unrecognised faiss IVF serialisation (${why}); cannot set nprobe`);
  };
  const fourcc = buf.length >= 4 ? buf.toString('latin1', 0, 4) : '';
  if (!IVF_FOURCC.has(fourcc)) {
    fail(`expected fourcc ${[...IVF_FOURCC].join('/')}, found ${JSON.stringify(fourcc)}`);
  }
  // Index header: d:i32, ntotal:i64, two dummy i64, is_trained:u8, metric_type:i32 [, metric_arg:f32].
  let offset = 4 + 4 + 8 + 16 + 1;
  if (offset + 4 > buf.length) fail('truncated header');
  const metricType = buf.readInt32LE(offset);
  offset += 4 + (metricType > 1 ? 4 : 0);
  if (offset + 16 + 4 > buf.length) fail('truncated IVF header');
  if (buf.toString('latin1', offset + 16, offset + 17) !== 'I') fail('coarse quantizer not found');
  const nlist = buf.readBigUInt64LE(offset);
  if (nlist < 1n || nlist > 1n << 31n) fail(`implausible nlist ${nlist}`);
  return offset;
}

/** The nlist/nprobe stored in a serialised IVF index. */
export function readIvfParams(buf: Buffer): { nlist: number; nprobe: number } {
  const offset = locate(buf);
  return { nlist: Number(buf.readBigUInt64LE(offset)), nprobe: Number(buf.readBigUInt64LE(offset + 8)) };
}

/** A copy of a serialised IVF index with nprobe replaced (faiss clamps it to nlist when searching). */
export function withIvfNprobe(buf: Buffer, nprobe: number): Buffer {
  const offset = locate(buf);
  const out = Buffer.from(buf);
  out.writeBigUInt64LE(BigInt(nprobe), offset + 8);
  return out;
}
