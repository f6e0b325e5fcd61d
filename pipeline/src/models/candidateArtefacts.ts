import { RegistryError, type ModelRegistry } from '../registry/ModelRegistry';
import type { CandidateModels } from './candidateModels';
import type { UserHistory } from './InteractionMatrix';

/**
 * How the candidate models are stored in a model version: the three n × n float32 matrices as raw
 * little-endian bytes (`ease-basket.bin`, `ease-user.bin`, `cooccurrence.bin`), likewise the ALS item
 * factors (`als-items.bin`) and the title projection (`content-projection.bin`), everything else in
 * `candidates.json`. Loading gives back a {@link CandidateModels} that scores exactly like the one
 * trained (the invoice list itself is not kept: serving never needs it).
 */
interface StoredCandidates {
  /** {@link CANDIDATES_FORMAT} when written; older versions are refused at load. */
  format: number;
  items: string[];
  until: number;
  lambdas: { basket: number; user: number };
  /** diag(P) of each EASE model (a column of B from its row). */
  diagonals: { basket: number[]; user: number[] };
  itemBaskets: number[];
  recentPopularity: number[];
  recentPopularityByCountry: Record<string, number[]>;
  firstOrderPopularity: number[];
  firstOrderPopularityByCountry: Record<string, number[]>;
  weekPopularity: number[];
  repeatRate: number[];
  codeNumber: number[];
  text: { terms: number[][]; weights: number[][]; vocabulary: string[]; idf: number[] };
  /** ALS constants; the item factors are `als-items.bin` (items × factors float32). */
  als: { factors: number; regularization: number; alpha: number };
  /** Title embedding: dimension and ridge map (dim × factors); the projection is `content-projection.bin`. */
  content: { dim: number; factors: number; map: number[] };
  /**
   * userId, country, items, invoices, lastTs, purchase lines flattened as [item, ts, item, ts, ...],
   * and the customer's EASE candidates.
   */
  users: [string, string | null, number[], number[], number[], number[], number[]][];
}

/**
 * Bumped when the stored layout changes (2: the text model keeps its vocabulary and IDF; 3: ALS item
 * factors and the title embedding; 4: EASE diagonals and each customer's EASE candidates; 5: the
 * invoices, for session kNN in the ranker; 6: without them again, see docs/evaluation/tuning.md).
 */
export const CANDIDATES_FORMAT = 6;

/** A model version whose candidate models were written in an older layout: retrain to serve them. */
export class CandidatesFormatError extends RegistryError {}

const bytes = (a: Float32Array) => new Uint8Array(a.buffer, a.byteOffset, a.byteLength);

export function candidateArtefacts(m: CandidateModels): Record<string, unknown> {
  const mapOf = (map: Map<string, Float32Array>) =>
    Object.fromEntries([...map].map(([k, v]) => [k, Array.from(v)] as const));
  const stored: StoredCandidates = {
    format: CANDIDATES_FORMAT,
    items: m.matrix.items,
    until: m.matrix.until,
    lambdas: { basket: m.basketEase.lambda, user: m.userEase.lambda },
    diagonals: { basket: Array.from(m.basketEase.diagonal), user: Array.from(m.userEase.diagonal) },
    itemBaskets: Array.from(m.matrix.itemBaskets),
    recentPopularity: Array.from(m.recentPopularity),
    recentPopularityByCountry: mapOf(m.recentPopularityByCountry),
    firstOrderPopularity: Array.from(m.firstOrderPopularity),
    firstOrderPopularityByCountry: mapOf(m.firstOrderPopularityByCountry),
    weekPopularity: Array.from(m.weekPopularity),
    repeatRate: Array.from(m.repeatRate),
    codeNumber: Array.from(m.codeNumber),
    text: {
      terms: m.text.terms.map((t) => Array.from(t)),
      weights: m.text.weights.map((w) => Array.from(w)),
      vocabulary: m.text.vocabulary,
      idf: Array.from(m.text.idf),
    },
    als: { factors: m.als.factors, regularization: m.als.regularization, alpha: m.als.alpha },
    content: { dim: m.content.dim, factors: m.content.factors, map: Array.from(m.content.map) },
    users: [...m.matrix.users.values()].map((u) => [
      u.userId,
      u.country,
      Array.from(u.items),
      Array.from(u.invoices),
      Array.from(u.lastTs),
      u.lines.flatMap((l) => [l.item, l.ts]),
      Array.from(m.userEaseTop.get(u.userId) ?? []),
    ]),
  };
  return {
    candidates: stored,
    'ease-basket': bytes(m.basketEase.weights),
    'ease-user': bytes(m.userEase.weights),
    cooccurrence: bytes(m.cooccurrence),
    'als-items': bytes(m.als.itemFactors),
    'content-projection': bytes(m.content.projection),
  };
}

export async function loadCandidateModels(
  registry: ModelRegistry,
  version: string,
): Promise<CandidateModels> {
  const s = await registry.read<StoredCandidates>(version, 'candidates');
  if (s.format !== CANDIDATES_FORMAT) {
    throw new CandidatesFormatError(
      `candidate models of ${version} are in format ${s.format ?? 1}, this code reads format ${CANDIDATES_FORMAT}: retrain`,
    );
  }
  const n = s.items.length;
  const matrix = async (name: string): Promise<Float32Array> => {
    const b = await registry.readBinary(version, name);
    if (b.byteLength !== n * n * 4)
      throw new Error(`artefact ${name} of ${version} is not ${n} x ${n} float32`);
    // copy into an aligned buffer (a file buffer may start at any byte offset)
    return new Float32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));
  };
  const floats = async (name: string, length: number): Promise<Float32Array> => {
    const b = await registry.readBinary(version, name);
    if (b.byteLength !== length * 4)
      throw new Error(`artefact ${name} of ${version} is not ${length} float32 values`);
    return new Float32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));
  };
  const f32 = (a: number[]) => Float32Array.from(a);
  const mapOf = (o: Record<string, number[]>) =>
    new Map(Object.entries(o).map(([k, v]) => [k, f32(v)] as const));
  const users = new Map<string, UserHistory>();
  const userEaseTop = new Map<string, Int32Array>();
  for (const [userId, country, items, invoices, lastTs, flat, easeTop] of s.users) {
    userEaseTop.set(userId, Int32Array.from(easeTop));
    const lines: { item: number; ts: number }[] = [];
    for (let i = 0; i < flat.length; i += 2) lines.push({ item: flat[i]!, ts: flat[i + 1]! });
    users.set(userId, {
      userId,
      country,
      items: Int32Array.from(items),
      invoices: Int32Array.from(invoices),
      lastTs: Float64Array.from(lastTs),
      lines,
    });
  }
  const postings: number[][] = Array.from({ length: s.text.vocabulary.length }, () => []);
  s.text.terms.forEach((terms, item) => terms.forEach((t) => postings[t]!.push(item)));
  return {
    matrix: {
      items: s.items,
      index: new Map(s.items.map((id, i) => [id, i] as const)),
      baskets: [],
      basketTs: new Float64Array(0),
      users,
      itemBaskets: Float64Array.from(s.itemBaskets),
      until: s.until,
    },
    recentPopularity: f32(s.recentPopularity),
    recentPopularityByCountry: mapOf(s.recentPopularityByCountry),
    firstOrderPopularity: f32(s.firstOrderPopularity),
    firstOrderPopularityByCountry: mapOf(s.firstOrderPopularityByCountry),
    weekPopularity: f32(s.weekPopularity),
    cooccurrence: await matrix('cooccurrence'),
    basketEase: {
      n,
      lambda: s.lambdas.basket,
      weights: await matrix('ease-basket'),
      diagonal: f32(s.diagonals.basket),
    },
    userEase: {
      n,
      lambda: s.lambdas.user,
      weights: await matrix('ease-user'),
      diagonal: f32(s.diagonals.user),
    },
    userEaseTop,
    text: {
      terms: s.text.terms.map((t) => Int32Array.from(t)),
      weights: s.text.weights.map((w) => Float32Array.from(w)),
      postings: postings.map((p) => Int32Array.from(p)),
      vocabulary: s.text.vocabulary,
      idf: Float32Array.from(s.text.idf),
    },
    repeatRate: f32(s.repeatRate),
    codeNumber: Int32Array.from(s.codeNumber),
    als: { ...s.als, itemFactors: await floats('als-items', n * s.als.factors) },
    content: {
      dim: s.content.dim,
      factors: s.content.factors,
      map: f32(s.content.map),
      projection: await floats('content-projection', s.text.vocabulary.length * s.content.dim),
    },
  };
}
