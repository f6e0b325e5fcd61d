import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseShopTime, readOnlineRetail, SourceFormatError } from '@recs/pipeline';
import { writeRetailFile } from './fixtures';

test('cleaning keeps real purchases and counts every other row under its reason', async () => {
  const path = writeRetailFile(
    [
      '536365,85123A,WHITE HANGING HEART T-LIGHT HOLDER ,6,2010-12-01 08:26:00,2.55,17850.0,United Kingdom',
      '536365,85123A,WHITE HANGING HEART T-LIGHT HOLDER ,6,2010-12-01 08:26:00,2.55,17850.0,United Kingdom',
      '536366,71053,"WHITE METAL LANTERN, LARGE",2,2010-12-01 09:00:00,3.39,,EIRE',
      'C536379,D,Discount,-1,2010-12-01 09:41:00,27.5,14527.0,United Kingdom',
      '536380,22041,"RECORD FRAME 7"" SINGLE",-3,2010-12-01 10:00:00,2.1,16210.0,France',
      '536381,22042,FREE GIFT,1,2010-12-01 10:00:00,0,16210.0,France',
      '536382,POST,POSTAGE,1,2010-12-01 10:00:00,18,12583.0,France',
      '536383,22043,BIG ORDER,80995,2010-12-01 10:00:00,2.08,16446.0,United Kingdom',
      '536384,22044,LATE ORDER,1,2011-12-09 12:50:00,1.25,12680.0,France',
      '536385,22045,WHERE,1,2010-12-01 10:00:00,1.25,12680.0,Atlantis',
      '536386,22046,NO DATE,1,yesterday,1.25,12680.0,France',
      '536387,22047,TOO FEW COLUMNS',
      '536388,84029G,RSA ORDER,1,2010-12-02 10:00:00,3.39,12345.0,RSA',
    ],
    'retail.csv.gz',
  );
  const { interactions, catalogue, report } = await readOnlineRetail(path, { until: Date.UTC(2011, 11, 1) });
  assert.equal(report.rowsRead, 13);
  assert.equal(report.accepted, 3);
  assert.equal(report.guestRows, 1);
  assert.deepEqual(report.rejected, {
    duplicate_line: 1,
    cancellation: 1,
    non_positive_quantity: 1,
    non_positive_price: 1,
    non_product_code: 1,
    quantity_outlier: 1,
    after_cutoff: 1,
    unknown_country: 1,
    bad_date: 1,
    malformed_row: 1,
  });
  const accepted = report.accepted + Object.values(report.rejected).reduce((a, b) => a + b, 0);
  assert.equal(accepted, report.rowsRead, 'nothing dropped silently');
  assert.deepEqual(
    interactions.map((i) => [i.userId, i.productId, i.country, i.basketId]),
    [
      ['17850', '85123A', 'GB', '536365'],
      [null, '71053', 'IE', '536366'],
      ['12345', '84029G', 'ZA', '536388'],
    ],
  );
  assert.equal(catalogue.get('71053')?.title, 'WHITE METAL LANTERN, LARGE');
  assert.equal(catalogue.get('85123A')?.title, 'WHITE HANGING HEART T-LIGHT HOLDER');
});

test('a file that is not an Online Retail export is refused with the columns received', async () => {
  const path = writeRetailFile([]);
  const { writeFileSync } = await import('node:fs');
  writeFileSync(path, 'a,b,c\n1,2,3\n');
  await assert.rejects(
    readOnlineRetail(path),
    (err: unknown) => err instanceof SourceFormatError && /received a,b,c/.test((err as Error).message),
  );
});

test('shop-local times parse in both formats the source has used', () => {
  assert.equal(parseShopTime('2010-12-01 08:26:00'), Date.UTC(2010, 11, 1, 8, 26));
  assert.equal(parseShopTime('12/1/2010 8:26'), Date.UTC(2010, 11, 1, 8, 26));
  assert.equal(parseShopTime('soon'), undefined);
});
