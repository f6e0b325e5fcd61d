import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import { pipeline } from 'node:stream';
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
  try {
    if ((await stat(path)).isDirectory())
      throw new SourceFormatError(`${path} is a directory, not a CSV file`);
    yield* parseCsv(path);
  } catch (err) {
    throw unreadable(path, err);
  }
}

/**
 * The error to report for a failure while reading `path`: a missing, unreadable or non-file path, or
 * a ".gz" file that is not valid gzip, becomes a {@link SourceFormatError} naming the file; anything
 * else is passed through.
 */
function unreadable(path: string, err: unknown): unknown {
  if (err instanceof SourceFormatError || !(err instanceof Error)) return err;
  const code = (err as NodeJS.ErrnoException).code ?? '';
  if (code === 'ENOENT') return new SourceFormatError(`${path}: file not found`);
  if (code === 'EISDIR') return new SourceFormatError(`${path} is a directory, not a CSV file`);
  if (code === 'EACCES' || code === 'EPERM' || code === 'ENOTDIR' || code === 'ELOOP')
    return new SourceFormatError(`${path} cannot be read: ${err.message}`);
  if (code.startsWith('Z_'))
    return new SourceFormatError(
      `${path} is not a valid gzip file (${err.message}); a ".gz" input must be a gzip-compressed CSV`,
    );
  return err;
}

async function* parseCsv(
  path: string,
): AsyncGenerator<{ fields: string[]; line: number; unterminated?: boolean }> {
  const raw = createReadStream(path);
  // pipeline, not pipe: an error of the file stream reaches the gunzip stream (and so the reader)
  const input = path.endsWith('.gz') ? pipeline(raw, createGunzip(), () => {}) : raw;
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
        const received = got.join(',');
        throw new SourceFormatError(
          `${path} is not ${source} file: expected columns ${header.join(',')}; received ${
            received.length > 200 ? `${received.slice(0, 200)}...` : received
          }`,
        );
      }
      continue;
    }
    yield rec;
  }
  if (first) throw new SourceFormatError(`${path} is empty: expected ${source} header line`);
}
