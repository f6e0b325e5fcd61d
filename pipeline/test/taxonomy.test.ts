import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it, before } from 'node:test';
import {
  applyTaxonomy,
  CATEGORIES,
  CATEGORY_PATHS,
  categorisedShare,
  deriveTaxonomy,
  ruleCategory,
  titleWords,
} from '../src/ingest/taxonomy';
import { readOnlineRetail, type OnlineRetailData } from '../src/ingest/onlineRetail';
import type { CatalogueEntry } from '../src/ingest/Interaction';
import { loadPromotedBundle } from '../src/ModelBundle';
import { ModelRegistry } from '../src/registry/ModelRegistry';
import { train } from '../src/train';
import { versionMeta, writeRetailFile } from './fixtures';

const BUNDLED = join(
  import.meta.dirname,
  '..',
  '..',
  'data',
  'online-retail',
  'online_retail_until_2011-11-09.csv.gz',
);

/** Documented in pipeline/README.md: measured 99.1% of products and 99.7% of invoice lines. */
const MIN_PRODUCT_COVERAGE = 0.95;
const MIN_VOLUME_COVERAGE = 0.97;

describe('rule table', () => {
  it('puts real Online Retail titles in the expected category', () => {
    const cases: [string, string][] = [
      ['WHITE HANGING HEART T-LIGHT HOLDER', 'candles & lights'],
      ['VICTORIAN GLASS HANGING T-LIGHT', 'candles & lights'],
      ['ROTATING SILVER ANGELS T-LIGHT HLDR', 'christmas'],
      ['JUMBO BAG RED RETROSPOT', 'bags'],
      ['LUNCH BAG CARS BLUE', 'bags'],
      ['JUMBO BAG TOYS', 'bags'],
      ['SET OF 3 CAKE TINS PANTRY DESIGN', 'storage & tins'],
      ['PACK OF 72 RETROSPOT CAKE CASES', 'kitchen & baking'],
      ['SMALL POPCORN HOLDER', 'kitchen & baking'],
      ['REGENCY CAKESTAND 3 TIER', 'tableware'],
      ['ROSES REGENCY TEACUP AND SAUCER', 'mugs & cups'],
      ['SMALL RED RETROSPOT MUG IN BOX', 'mugs & cups'],
      ['PARTY BUNTING', 'party'],
      ['ASSORTED COLOUR BIRD ORNAMENT', 'decorations'],
      ['HEART OF WICKER SMALL', 'decorations'],
      ['NATURAL SLATE HEART CHALKBOARD', 'signs & plaques'],
      ['WOODEN PICTURE FRAME WHITE FINISH', 'frames & mirrors'],
      ['ALARM CLOCK BAKELIKE RED', 'clocks'],
      ['6 RIBBONS RUSTIC CHARM', 'cards & wrap'],
      ['SILVER HOOP EARRINGS WITH FLOWER', 'jewellery'],
      ['FLOWER GLASS GARLD NECKL36"TURQUOIS', 'jewellery'],
      ['LETTER "W" BLING KEY RING', 'accessories'],
      ['VINTAGE SNAP CARDS', 'toys & games'],
      ['VINTAGE SNAKES & LADDERS', 'toys & games'],
      ['CHOCOLATE HOT WATER BOTTLE', 'textiles'],
      ['PLASTERS IN TIN WOODLAND ANIMALS', 'bathroom'],
      ['GARDENERS KNEELING PAD CUP OF TEA', 'garden'],
      ['PURPLE DRAWERKNOB ACRYLIC EDWARDIAN', 'hooks & fittings'],
      ['WOOD S/3 CABINET ANT WHITE FINISH', 'furniture'],
      ['PAPER CHAIN KIT RETROSPOT', 'crafts & sewing'],
      ['ROUND SNACK BOXES SET OF4 WOODLAND', 'kitchen & baking'],
      ['SPACEBOY BIRTHDAY CARD', 'cards & wrap'],
      ['FEATHER PEN,LIGHT PINK', 'stationery'],
      ['GRAND CHOCOLATECANDLE', 'candles & lights'],
      ['Next Day Carriage', 'other'],
    ];
    const wrong = cases
      .map(([title, expected]) => [title, expected, ruleCategory(title)?.category] as const)
      .filter(([, expected, got]) => got !== expected);
    assert.deepEqual(wrong, []);
  });

  it('lets a seasonal theme beat the product noun', () => {
    assert.deepEqual(ruleCategory("PAPER CHAIN KIT 50'S CHRISTMAS"), {
      category: 'christmas',
      source: 'theme',
      keyword: 'CHRISTMAS',
    });
    assert.equal(ruleCategory('SET 10 CARDS CHRISTMAS BAUBLE')?.category, 'christmas');
    assert.equal(ruleCategory('CREAM BUNNY EASTER EGG BASKET')?.category, 'easter');
  });

  it('reads the head noun from the end, phrases before single words, weak words last', () => {
    assert.equal(ruleCategory('WHITE HANGING HEART T-LIGHT HOLDER')?.keyword, 'TLIGHT HOLDER');
    assert.equal(ruleCategory('CREAM HEART CARD HOLDER')?.keyword, 'CARD HOLDER');
    assert.equal(ruleCategory('BLUE FELT HANGING HEART WITH FLOWER')?.keyword, 'HEART');
    assert.equal(ruleCategory('SET/3 FLORAL GARDEN TOOLS IN BAG')?.category, 'garden');
    assert.equal(ruleCategory('ZXQ WUV'), undefined);
  });

  it('normalises spellings: T-LIGHT, plurals, abbreviations, & and shades', () => {
    assert.deepEqual(titleWords('SET OF 6 T-LIGHTS'), ['SET', 'OF', '6', 'TLIGHT']);
    assert.deepEqual(titleWords('4 TEA LIGHT HLDRS'), ['4', 'TLIGHT', 'HOLDER']);
    assert.deepEqual(titleWords('CUP & SAUCER'), ['CUP', 'AND', 'SAUCER']);
    assert.deepEqual(titleWords('DOILIES'), ['DOILY']);
    assert.deepEqual(titleWords('PEN, LIGHT PINK'), ['PEN', 'PINK']);
  });

  it('gives every category a root-to-leaf path ending in itself', () => {
    for (const c of CATEGORIES) {
      const path = CATEGORY_PATHS[c];
      assert.equal(path[path.length - 1], c);
    }
    const [assignment] = deriveTaxonomy([{ id: '1', title: 'JUMBO BAG RED RETROSPOT' }]).values();
    assert.deepEqual(assignment, {
      category: 'bags',
      categoryPath: ['bags & accessories', 'bags'],
      source: 'rule',
    });
  });
});

describe('neighbour fallback', () => {
  const entries = [
    { id: 'a', title: 'ZORBLE WIDGET PINK DAISY MUG' },
    { id: 'b', title: 'ZORBLE WIDGET BLUE DAISY MUG' },
    { id: 'c', title: 'ZORBLE WIDGET DAISY MUG' },
    { id: 'd', title: 'ZORBLE WIDGET DAISY' },
    { id: 'e', title: 'QUUX FLIMFLAM' },
  ];

  it('labels an unmatched title like its close rule-labelled neighbours, or "other"', () => {
    const t = deriveTaxonomy(entries);
    assert.equal(t.get('a')?.source, 'rule');
    assert.deepEqual(t.get('d'), {
      category: 'mugs & cups',
      categoryPath: ['kitchen & dining', 'mugs & cups'],
      source: 'neighbours',
    });
    assert.deepEqual(t.get('e'), { category: 'other', categoryPath: ['other'], source: 'none' });
  });

  it('is deterministic and independent of the input order', () => {
    const once = [...deriveTaxonomy(entries)].sort();
    const reversed = [...deriveTaxonomy([...entries].reverse())].sort();
    assert.deepEqual(reversed, once);
    assert.deepEqual([...deriveTaxonomy(entries)].sort(), once);
  });
});

describe('on the bundled Online Retail file', () => {
  let data: OnlineRetailData;
  before(async () => {
    data = await readOnlineRetail(BUNDLED);
  });

  it('gives every product a category during ingestion', () => {
    for (const c of data.catalogue.values()) {
      assert.ok(c.category && c.categoryPath, `${c.id} ${c.title}`);
      assert.deepEqual(c.categoryPath, CATEGORY_PATHS[c.category as keyof typeof CATEGORY_PATHS]);
    }
  });

  it(`covers >= ${MIN_PRODUCT_COVERAGE * 100}% of products and ${MIN_VOLUME_COVERAGE * 100}% of purchase lines`, () => {
    const lines = new Map<string, number>();
    for (const e of data.interactions) lines.set(e.productId, (lines.get(e.productId) ?? 0) + 1);
    let covered = 0;
    for (const c of data.catalogue.values()) if (c.category !== 'other') covered += lines.get(c.id) ?? 0;
    const products = categorisedShare(data.catalogue.values());
    const volume = covered / data.interactions.length;
    assert.ok(products >= MIN_PRODUCT_COVERAGE, `products covered: ${products}`);
    assert.ok(volume >= MIN_VOLUME_COVERAGE, `purchase lines covered: ${volume}`);
  });

  it('derives the taxonomy of ~4k products in well under a second, the same every time', () => {
    const entries = [...data.catalogue.values()].map(({ id, title }) => ({ id, title }));
    const t0 = performance.now();
    const first = deriveTaxonomy(entries);
    const ms = performance.now() - t0;
    assert.ok(ms < 1000, `${ms} ms`);
    assert.deepEqual(deriveTaxonomy(entries.reverse()), first);
  });
});

describe('catalogue artefact', () => {
  it('keeps category and categoryPath through train, the registry and loadPromotedBundle', async () => {
    const registryRoot = join(mkdtempSync(join(tmpdir(), 'recs-taxonomy-')), 'models');
    const input = writeRetailFile([
      '536365,85123A,WHITE HANGING HEART T-LIGHT HOLDER,6,2010-12-01 08:26:00,2.55,17850.0,United Kingdom',
      '536365,85099B,JUMBO BAG RED RETROSPOT,10,2010-12-01 08:26:00,1.95,17850.0,United Kingdom',
      "536366,22086,PAPER CHAIN KIT 50'S CHRISTMAS,1,2010-12-02 08:26:00,2.95,13047.0,United Kingdom",
      '536366,85099B,JUMBO BAG RED RETROSPOT,10,2010-12-02 08:26:00,1.95,13047.0,United Kingdom',
    ]);
    const manifest = await train({
      dataset: 'online-retail',
      input,
      until: Date.UTC(2010, 11, 3),
      registryRoot,
    });
    assert.equal(manifest.metrics.categorisedProducts, 1);
    const stored = await new ModelRegistry(registryRoot).read<CatalogueEntry[]>(
      manifest.version,
      'catalogue',
    );
    const bag = stored.find((c) => c.id === '85099B');
    assert.equal(bag?.category, 'bags');
    assert.deepEqual(bag?.categoryPath, ['bags & accessories', 'bags']);
    const bundle = await loadPromotedBundle(registryRoot);
    assert.deepEqual([...bundle.catalogue.values()].map((c) => [c.id, c.category, c.categoryPath]).sort(), [
      ['22086', 'christmas', ['seasonal & party', 'christmas']],
      ['85099B', 'bags', ['bags & accessories', 'bags']],
      ['85123A', 'candles & lights', ['home', 'candles & lights']],
    ]);
  });

  it('an artefact written before the taxonomy still loads, and gets categories from its titles', async () => {
    const registryRoot = join(mkdtempSync(join(tmpdir(), 'recs-taxonomy-')), 'models');
    const registry = new ModelRegistry(registryRoot);
    const old = await registry.publish(
      {
        catalogue: [{ id: '85099B', title: 'JUMBO BAG RED RETROSPOT', price: 1.95 }],
        popularity: { global: [], byCountry: {} },
        coPurchase: [],
      },
      versionMeta(),
    );
    await registry.promote(old.version);
    const bundle = await loadPromotedBundle(registryRoot);
    assert.deepEqual(bundle.catalogue.get('85099B'), {
      id: '85099B',
      title: 'JUMBO BAG RED RETROSPOT',
      price: 1.95,
      category: 'bags',
      categoryPath: ['bags & accessories', 'bags'],
    });
  });

  it('applyTaxonomy fills the fields in place', () => {
    const entries: CatalogueEntry[] = [{ id: '1', title: 'RED RETROSPOT MUG', price: 2 }];
    applyTaxonomy(entries);
    assert.equal(entries[0]!.category, 'mugs & cups');
  });
});
