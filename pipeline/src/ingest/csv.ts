import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { createGunzip } from 'node:zlib';

/**
 * Streams the records of an RFC 4180 CSV file (plain or gzip, chosen by the ".gz" suffix) as arrays
 * of fields. Quoted fields may contain commas, doubled quotes and line breaks; a record whose quote
 * never closes is yielded with `unterminated: true` so the caller can reject it with a reason instead
 * of silently swallowing the rest of the file.
 */
export async function* readCsv(
  path: string,
): AsyncGenerator<{ fields: string[]; line: number; unterminated?: boolean }> {
  const raw = createReadStream(path);
  const input = path.endsWith('.gz') ? raw.pipe(createGunzip()) : raw;
  const lines = createInterface({ input, crlfDelay: Infinity });
  let fields: string[] = [];
  let field = '';
  let inQuotes = false;
  let startLine = 0;
  let lineNo = 0;
  for await (const text of lines) {
    lineNo++;
    if (!inQuotes) {
      fields = [];
      field = '';
      startLine = lineNo;
    } else {
      field += '\n';
    }
    for (let i = 0; i < text.length; i++) {
      const ch = text[i];
      if (inQuotes) {
        if (ch === '"') {
          if (text[i + 1] === '"') {
            field += '"';
            i++;
          } else inQuotes = false;
        } else field += ch;
      } else if (ch === '"') inQuotes = true;
      else if (ch === ',') {
        fields.push(field);
        field = '';
      } else field += ch;
    }
    if (!inQuotes) {
      fields.push(field);
      yield { fields, line: startLine };
    }
  }
  if (inQuotes) {
    fields.push(field);
    yield { fields, line: startLine, unterminated: true };
  }
}

/** Thrown when a file is not the source it is read as (wrong or missing header, missing file). */
export class SourceFormatError extends Error {}

/**
 * The records after the header of a source CSV, which must start with `header` (a byte-order mark is
 * ignored); a wrong or missing header throws {@link SourceFormatError} naming the file and `source`.
 */
export async function* csvRecords(
  path: string,
  header: readonly string[],
  source: string,
): AsyncGenerator<{ fields: string[]; line: number; unterminated?: boolean }> {
  let first = true;
  for await (const rec of readCsv(path)) {
    if (first) {
      first = false;
      const got = rec.fields.map((f) => f.trim().replace(/^\uFEFF/, ''));
      if (header.some((h, i) => got[i] !== h)) {
        throw new SourceFormatError(
          `${path} is not ${source} file: expected columns ${header.join(',')}; received ${got.join(',')}`,
        );
      }
      continue;
    }
    yield rec;
  }
  if (first) throw new SourceFormatError(`${path} is empty: expected ${source} header line`);
}
