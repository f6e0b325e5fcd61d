import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { it } from 'node:test';
import { readCompleteJourney } from '../src/ingest/completeJourney';
import { SourceFormatError } from '../src/ingest/onlineRetail';

const DIR = join(import.meta.dirname, '..', '..', '..', 'shared', 'datasets', 'complete-journey');

it('reads the bundled sample: every row accepted or counted under a reason, the source hierarchy as categories', async () => {
  const d = await readCompleteJourney(DIR);
  const rejected = Object.values(d.report.rejected).reduce((a, b) => a + b, 0);
  assert.equal(d.report.rowsRead, 75_000);
  assert.equal(d.report.accepted + rejected, d.report.rowsRead, 'nothing dropped silently');
  assert.equal(d.interactions.length, d.report.accepted);
  assert.ok(d.report.accepted > 70_000, `accepted ${d.report.accepted}`);
  assert.ok((d.report.rejected.non_positive_quantity ?? 0) > 0, 'zero-quantity lines are rejected');
  for (const e of d.interactions.slice(0, 1000)) {
    assert.equal(e.type, 'purchase');
    assert.equal(e.country, 'US');
    assert.ok(e.userId && e.basketId && e.quantity > 0 && e.unitPrice > 0 && Number.isFinite(e.ts));
    assert.ok(d.catalogue.has(e.productId));
  }
  const ham = d.catalogue.get('940996')!;
  assert.deepEqual(ham.categoryPath, ['meat-pckgd', 'lunchmeat', 'ham']);
  assert.equal(ham.category, 'ham');
  assert.equal(ham.brand, 'Private');
  assert.equal(ham.title, 'Ham, 16 OZ (store brand)');
  const departments = new Set([...d.catalogue.values()].map((c) => c.categoryPath![0]));
  assert.ok(departments.size >= 10, `${departments.size} departments`);
});

it('--until keeps only lines strictly before the cut-off, and counts the rest', async () => {
  const until = Date.UTC(2017, 6, 1);
  const d = await readCompleteJourney(DIR, { until });
  assert.ok(d.interactions.every((e) => e.ts < until));
  assert.ok((d.report.rejected.after_cutoff ?? 0) > 30_000);
  const all = await readCompleteJourney(DIR);
  assert.equal(d.interactions.length, all.interactions.filter((e) => e.ts < until).length);
});

it('refuses a directory that is not Complete Journey, naming the problem', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'cj-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  await assert.rejects(readCompleteJourney(dir), (err: Error) => {
    assert.ok(err instanceof SourceFormatError);
    assert.match(err.message, /transactions_sample\.csv\.gz is missing/);
    return true;
  });
  await writeFile(join(dir, 'transactions_sample.csv.gz'), gzipSync('InvoiceNo,StockCode\n1,2\n'));
  await writeFile(
    join(dir, 'products.csv.gz'),
    gzipSync(
      '"product_id","manufacturer_id","department","brand","product_category","product_type","package_size"\n',
    ),
  );
  await assert.rejects(
    readCompleteJourney(dir),
    /not a Complete Journey file: expected columns household_id,/,
  );
});

it('counts a malformed line, a bad date, a product missing from the catalogue and a duplicate', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'cj-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const header =
    '"household_id","store_id","basket_id","product_id","quantity","sales_value","retail_disc","coupon_disc","coupon_match_disc","week","transaction_timestamp"';
  const line = (product: string, time = '2017-03-01 10:00:00', qty = '2', value = '3.00') =>
    `"7","1","900","${product}",${qty},${value},0,0,0,9,"${time}"`;
  await writeFile(
    join(dir, 'transactions_sample.csv.gz'),
    gzipSync(
      [
        header,
        line('1'),
        line('1'), // duplicate
        line('2', 'yesterday'), // bad date
        line('3'), // not in products
        '"7","1"', // malformed
        line('1', '2017-03-02 10:00:00', '0'), // zero quantity
      ].join('\n') + '\n',
    ),
  );
  await writeFile(
    join(dir, 'products.csv.gz'),
    gzipSync(
      '"product_id","manufacturer_id","department","brand","product_category","product_type","package_size"\n' +
        '"1","5","GROCERY","National","FRZN ICE","ICE - CRUSHED/CUBED","22 LB"\n"2","5","GROCERY","National",,,\n',
    ),
  );
  const d = await readCompleteJourney(dir);
  assert.equal(d.report.rowsRead, 6);
  assert.equal(d.report.accepted, 1);
  assert.deepEqual(d.report.rejected, {
    duplicate_line: 1,
    bad_date: 1,
    non_product_code: 1,
    malformed_row: 1,
    non_positive_quantity: 1,
  });
  assert.deepEqual(d.interactions[0], {
    type: 'purchase',
    userId: '7',
    productId: '1',
    basketId: '900',
    quantity: 2,
    unitPrice: 1.5,
    ts: Date.UTC(2017, 2, 1, 10),
    country: 'US',
  });
  assert.equal(d.catalogue.get('1')!.title, 'Ice - Crushed/Cubed, 22 LB');
});
