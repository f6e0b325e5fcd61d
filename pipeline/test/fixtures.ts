import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';

export const HEADER = 'InvoiceNo,StockCode,Description,Quantity,InvoiceDate,UnitPrice,CustomerID,Country';

/** Writes an Online Retail-shaped CSV (gzip when the name ends in .gz) to a temp dir; returns the path. */
export function writeRetailFile(lines: string[], name = 'retail.csv'): string {
  const dir = mkdtempSync(join(tmpdir(), 'recs-pipeline-'));
  const path = join(dir, name);
  const text = `${[HEADER, ...lines].join('\n')}\n`;
  writeFileSync(path, name.endsWith('.gz') ? gzipSync(text) : text);
  return path;
}

/** Registry metadata for a test version (`ModelRegistry.publish`), with `over` applied. */
export function versionMeta(over: { dataRange?: { from: string; to: string }; until?: string } = {}) {
  return {
    dataset: 'online-retail',
    input: 'x',
    dataRange: { from: '2010-12-01', to: '2010-12-02' },
    until: '2010-12-03',
    metrics: {},
    cleaning: {},
    ...over,
  };
}
