import assert from 'node:assert/strict';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import { exportTreeEnsemble, loadOnnxModel, treeEnsemblePredict } from '@recs/model-runtime';
import { readOnlineRetail, type OnlineRetailData } from '../src/ingest/onlineRetail';
import type { Interaction } from '../src/ingest/Interaction';
import { evaluate, rankerMethods, seedMeanRows, type MetricRow } from '../src/eval/evaluate';
import { trainCandidateModels } from '../src/models/candidateModels';
import { candidateFeatures, FEATURES } from '../src/ranker/features';
import { textScores } from '../src/models/textSimilarity';
import { queryOf, trainRankers } from '../src/ranker/trainRanker';
import {
  CandidatesFormatError,
  candidateArtefacts,
  loadCandidateModels,
} from '../src/models/candidateArtefacts';
import { ModelRegistry } from '../src/registry/ModelRegistry';
import { versionMeta } from './fixtures';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';

const DATA = join(
  import.meta.dirname,
  '..',
  '..',
  'data',
  'online-retail',
  'online_retail_until_2011-11-09.csv.gz',
);
const CUT = Date.UTC(2011, 2, 1);
const END = Date.UTC(2011, 2, 15);
const GBDT = { trees: 30 };

let data: OnlineRetailData;
let titles: Map<string, string>;
let clean: Awaited<ReturnType<typeof trainRankers>>;
before(async () => {
  data = await readOnlineRetail(DATA, { until: END });
  titles = new Map([...data.catalogue.values()].map((c) => [c.id, c.title] as const));
});

describe('learned rankers on the bundled data (cut 2011-03-01)', () => {
  it('never read data at or after the cut-off: poisoning it leaves the trees unchanged', async () => {
    clean = await trainRankers(data.interactions, CUT, { titles, gbdt: GBDT, windows: 1 });
    const after = data.interactions.filter((e) => e.ts >= CUT);
    const poisoned: Interaction[] = [
      ...data.interactions.filter((e) => e.ts < CUT),
      // the test period's purchases reversed between products, plus a flood of one product
      ...after.map((e, i) => ({ ...e, productId: after[after.length - 1 - i]!.productId })),
      ...Array.from({ length: 500 }, (_, i) => ({ ...after[0]!, basketId: `X${i}`, productId: '85123A' })),
    ];
    // a second negative-sample seed: the first seed's rankers stay those of the default seed
    const dirty = await trainRankers(poisoned, CUT, {
      titles,
      gbdt: GBDT,
      windows: 1,
      sampleSeeds: [11, 12],
    });
    assert.deepEqual(dirty.cart, clean.cart);
    assert.deepEqual(dirty.home, clean.home);
    assert.deepEqual(
      dirty.otherSeeds.map((o) => o.seed),
      [12],
    );
    assert.notDeepEqual(dirty.otherSeeds[0]!.cart, clean.cart, 'another sample of negatives, other trees');
    // The check can fail: changing data inside the label window changes the trees.
    const inside = data.interactions.map((e) =>
      e.ts >= CUT - 10 * 86_400_000 && e.ts < CUT ? { ...e, productId: '85123A' } : e,
    );
    const changed = await trainRankers(inside, CUT, { titles, gbdt: GBDT, windows: 1 });
    assert.notDeepEqual(changed.cart, clean.cart);
  });

  it('score candidates the same in ONNX Runtime as in TypeScript (1e-5), one batch per request', async () => {
    const cartRanker = clean.cart;
    assert.ok(cartRanker, 'a CART ranker was trained');
    const m = await trainCandidateModels(data.interactions, CUT, { titles });
    const runtime = await loadOnnxModel(exportTreeEnsemble(cartRanker));
    const f = candidateFeatures(m, queryOf(m, '17850', ['85123A', '71053', '84406B'], 'GB', CUT), 'cart');
    assert.ok(f.items.length >= 50, `${f.items.length} candidates`);
    assert.equal(f.x.length, f.items.length * FEATURES.cart.length);
    const onnx = await runtime.predict(f.x, f.items.length);
    const ts = treeEnsemblePredict(cartRanker, f.x, f.items.length);
    for (let i = 0; i < ts.length; i++) assert.ok(Math.abs(onnx[i]! - ts[i]!) < 1e-5);
    await runtime.close();
  });

  it("CART features are the exact sums over the cart at each candidate, whatever the lists' cut", async () => {
    const m = await trainCandidateModels(data.interactions, CUT, { titles });
    const n = m.matrix.items.length;
    const dim = FEATURES.cart.length;
    const col = (name: string) => FEATURES.cart.indexOf(name);
    const support = (i: number) => m.cooccurrence[i * n + i]!;
    const close = (a: number, b: number, what: string) =>
      assert.ok(Math.abs(a - b) <= 1e-5 * Math.max(1, Math.abs(b)), `${what}: ${a} against ${b}`);
    const carts = [
      ['85123A', '71053', '84406B'],
      ['22423', '85099B', '47566', '20725', '22720', '21212', '22197', '84879', '22086', '22457'],
    ];
    for (const ids of carts) {
      const q = queryOf(m, '17850', ids, 'GB', CUT);
      const f = candidateFeatures(m, q, 'cart');
      assert.ok(f.items.length >= 50, `${f.items.length} candidates`);
      const text = new Float32Array(n);
      const textMax = new Float32Array(n);
      textScores(m.text, q.cart, text, textMax);
      f.items.forEach((j, r) => {
        let ease = 0;
        let cooc = 0;
        let cos = 0;
        let cosMax = 0;
        for (const i of q.cart) {
          ease += m.basketEase.weights[i * n + j]!;
          const c = m.cooccurrence[i * n + j]!;
          cooc += c;
          const v = c > 0 ? c / Math.sqrt(support(i) * support(j)) : 0;
          cos += v;
          cosMax = Math.max(cosMax, v);
        }
        const x = (name: string) => f.x[r * dim + col(name)]!;
        close(x('ease_cart'), ease, `ease of ${j}`);
        close(x('cooccurrence_log'), Math.log1p(cooc), `co-occurrence of ${j}`);
        close(x('cosine_sum'), cos, `cosine of ${j}`);
        close(x('cosine_max'), cosMax, `cosine max of ${j}`);
        close(x('text_sum'), text[j]!, `title sum of ${j}`);
        close(x('text_max'), textMax[j]!, `title max of ${j}`);
      });
    }
  });

  it('candidate models stored in a model version load back and give the same features', async () => {
    const m = await trainCandidateModels(data.interactions, CUT, { titles });
    const registry = new ModelRegistry(join(mkdtempSync(join(tmpdir(), 'recs-cand-')), 'models'));
    const meta = versionMeta({ dataRange: { from: '', to: '' }, until: '2011-03-01' });
    const { version } = await registry.publish(candidateArtefacts(m), meta);
    const loaded = await loadCandidateModels(registry, version);
    // a version written by an older layout is refused with a reason, not misread
    const old = await registry.publish({ candidates: { items: ['A'] } }, meta);
    await assert.rejects(
      loadCandidateModels(registry, old.version),
      (e: unknown) =>
        e instanceof CandidatesFormatError && /format 1, this code reads format 6: retrain/.test(String(e)),
    );
    for (const surface of ['cart', 'home'] as const) {
      const q = (mm: typeof m) =>
        queryOf(mm, '17850', surface === 'cart' ? ['85123A', '71053'] : [], 'GB', CUT);
      const a = candidateFeatures(m, q(m), surface);
      const b = candidateFeatures(loaded, q(loaded), surface);
      assert.deepEqual([...b.items], [...a.items]);
      assert.deepEqual([...b.x], [...a.x]);
    }
    // the ALS factors and the title embedding load back bit for bit
    assert.deepEqual(loaded.als, m.als);
    assert.deepEqual(loaded.content, m.content);
  });

  it("a customer's offline EASE candidates and sparse features equal a dense pass over the catalogue", async () => {
    const m = await trainCandidateModels(data.interactions, CUT, { titles });
    const n = m.matrix.items.length;
    let compared = 0;
    for (const history of [...m.matrix.users.values()].slice(0, 300)) {
      const q = queryOf(m, history.userId, [], 'GB', CUT);
      const offline = candidateFeatures(m, q, 'home');
      // a copy of the history is not the model's own: its EASE candidates come from a dense pass
      const dense = candidateFeatures(m, { ...q, history: { ...history } }, 'home');
      assert.deepEqual([...offline.items], [...dense.items], history.userId);
      assert.deepEqual([...offline.x], [...dense.x], history.userId);
      // the EASE feature of each candidate is the column sum Σ_{i ∈ history} B_ij
      const dim = FEATURES.home.length;
      offline.items.forEach((j, r) => {
        let sum = 0;
        for (const i of history.items) sum += m.userEase.weights[i * n + j]!;
        assert.ok(Math.abs(offline.x[r * dim + 3]! - sum) <= 1e-4 * Math.max(1, Math.abs(sum)));
        // buy-again counts are the customer's invoices of the item
        const k = history.items.indexOf(j);
        assert.equal(offline.x[r * dim]!, k >= 0 ? history.invoices[k]! : 0);
      });
      compared++;
    }
    assert.equal(compared, Math.min(300, m.matrix.users.size));
  });

  it('evaluate reports the rankers next to the sources, on cases after the cut-off only', async () => {
    const r = await evaluate(data.interactions, { cut: CUT, end: END, titles, gbdt: GBDT, windows: 1 });
    const hybrid = r.rows.filter((x) => x.kind === 'hybrid');
    assert.deepEqual(hybrid.map((x) => x.protocol).sort(), [
      'cart',
      'home',
      'new-customers',
      'new-products',
      'product',
    ]);
    const cartRanker = hybrid.find((x) => x.protocol === 'cart')!;
    const popularity = r.rows.find((x) => x.protocol === 'cart' && /popularity/.test(x.method))!;
    assert.ok(cartRanker.hr > 2 * popularity.hr, `ranker ${cartRanker.hr} vs popularity ${popularity.hr}`);
    assert.equal(r.cut, '2011-03-01');
    assert.ok(r.cases.cart > 100);
  });
});

it('seedMeanRows: the mean of the ranker rows of every seed, with the spread of HR and NDCG', () => {
  const row = (
    method: string,
    hr: number,
    ndcg: number,
    protocol: MetricRow['protocol'] = 'cart',
  ): MetricRow => ({
    protocol,
    method,
    kind: 'hybrid',
    cases: 100,
    hr,
    mrr: hr / 2,
    ndcg,
    precision: hr / 10,
    recall: hr,
    coverage: 0.5,
    diversity: 0.9,
    novelty: 10,
    popularityBias: 4,
  });
  const cart = 'learned ranker (EASE, cosine, content, buy-again)';
  const rows = [
    row('EASE on invoices', 0.9, 0.9),
    row(cart, 0.3, 0.2),
    row(`${cart}, negatives seed 12`, 0.5, 0.2),
    row(`${cart}, negatives seed 13`, 0.4, 0.26),
    row(cart, 0.7, 0.3, 'product'),
  ];
  const rankers = { seed: 11, otherSeeds: [{ seed: 12 }, { seed: 13 }] } as Parameters<
    typeof seedMeanRows
  >[1];
  const [mean, ...rest] = seedMeanRows(rows, rankers);
  // only CART has rows of several seeds here; PRODUCT has one, HOME none
  assert.equal(rest.length, 0);
  assert.equal(mean!.protocol, 'cart');
  assert.equal(mean!.method, `${cart}, mean of negatives seeds 11, 12, 13 (sd HR 0.100, NDCG 0.035)`);
  assert.ok(
    Math.abs(mean!.hr - 0.4) < 1e-12 &&
      Math.abs(mean!.ndcg - 0.22) < 1e-12 &&
      Math.abs(mean!.mrr - 0.2) < 1e-12,
  );
  assert.equal(mean!.cases, 100);
  assert.deepEqual(seedMeanRows(rows, { ...rankers, otherSeeds: [] }), []);
});

it("rankerMethods names a ranker by its seed: train's seed has the plain name, whatever its position", () => {
  const tree = { kind: 'treeEnsemble', inputDim: 1, baseScore: 0, sigmoid: true, trees: [] } as const;
  const names = (seed: number, others: number[]) =>
    rankerMethods({
      cart: tree,
      seed,
      otherSeeds: others.map((s) => ({ seed: s, cart: tree })),
    } as unknown as Parameters<typeof rankerMethods>[0]).map((m) => m.name);
  const cart = 'learned ranker (EASE, cosine, content, buy-again)';
  assert.deepEqual(names(11, [12]), [cart, `${cart}, negatives seed 12`]);
  assert.deepEqual(names(12, [11]), [`${cart}, negatives seed 12`, cart]);
  assert.deepEqual(names(12, []), [`${cart}, negatives seed 12`]);
});
