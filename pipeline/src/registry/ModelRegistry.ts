import { createHash } from 'node:crypto';
import { mkdir, readFile, readdir, rename, stat, writeFile, appendFile, rm, rmdir } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import type { Manifest } from './Manifest';

/**
 * Thrown for registry misuse or damage: unknown version, nothing to roll back to, a corrupt manifest
 * or artefact, a registry directory that cannot be read or written.
 */
export class RegistryError extends Error {}

/** One version directory of the registry as `models list` shows it: its manifest, or why it has none. */
export type RegistryEntry =
  | { version: string; manifest: Manifest; problem?: undefined }
  | { version: string; manifest?: undefined; problem: string };

const CURRENT = 'CURRENT';
const HISTORY = 'HISTORY';
const VERSION = /^v\d{8}T\d{6}Z-[0-9a-f]{8}$/;

/**
 * Versioned model artefacts on disk: `<root>/<version>/{manifest.json, *.json, *.bin}`, the promoted version
 * in `<root>/CURRENT`, every promotion appended to `<root>/HISTORY` (so rollback knows the previous
 * one). Promotion writes a temporary file and renames it: readers see the old or the new version,
 * never half of one.
 */
export class ModelRegistry {
  constructor(readonly root: string) {}

  /**
   * Checks, before any expensive work, that versions can be written: the registry directory exists and
   * takes a file, or can be created (it is not, yet). Throws {@link RegistryError} naming the problem.
   */
  async ensureWritable(): Promise<void> {
    const problem = await directoryProblem(this.root, { create: false });
    if (problem) throw new RegistryError(`model registry ${this.root} is not usable: ${problem}`);
  }

  /**
   * Writes a new version's artefacts and manifest; it is not served until promoted. A `Uint8Array`
   * value is written as raw bytes to `<name>.bin` (ONNX models, float32 matrices), anything else as
   * `<name>.json`.
   */
  async publish(
    artefacts: Record<string, unknown>,
    meta: Omit<Manifest, 'version' | 'files' | 'createdAt'>,
    now = new Date(),
  ): Promise<Manifest> {
    const blobs = Object.entries(artefacts).map(([name, value]) =>
      value instanceof Uint8Array
        ? ([`${name}.bin`, value] as const)
        : ([`${name}.json`, Buffer.from(JSON.stringify(value))] as const),
    );
    const digest = createHash('sha256');
    for (const [file, bytes] of blobs) digest.update(file).update(bytes);
    const stamp = now
      .toISOString()
      .replace(/[-:]/g, '')
      .replace(/\.\d+Z$/, 'Z');
    const version = `v${stamp}-${digest.digest('hex').slice(0, 8)}`;
    const dir = join(this.root, version);
    const tmp = `${dir}.tmp-${process.pid}`;
    const files: Record<string, string> = {};
    const manifest: Manifest = { ...meta, version, files, createdAt: now.toISOString() };
    try {
      const problem = await directoryProblem(this.root);
      if (problem) throw new RegistryError(`model registry ${this.root} is not usable: ${problem}`);
      await rm(tmp, { recursive: true, force: true });
      await mkdir(tmp);
      for (const [file, bytes] of blobs) {
        await writeFile(join(tmp, file), bytes);
        files[file] = createHash('sha256').update(bytes).digest('hex');
      }
      await writeFile(join(tmp, 'manifest.json'), JSON.stringify(manifest, null, 2));
      await rm(dir, { recursive: true, force: true });
      await rename(tmp, dir);
    } catch (err) {
      await rm(tmp, { recursive: true, force: true }).catch(() => {});
      if (err instanceof RegistryError) throw err;
      throw new RegistryError(`cannot write model version ${version} to ${this.root}: ${message(err)}`);
    }
    return manifest;
  }

  /** All usable versions, newest first; a version whose manifest is missing or corrupt is left out. */
  async list(): Promise<Manifest[]> {
    return (await this.entries()).flatMap((e) => (e.manifest ? [e.manifest] : []));
  }

  /**
   * Every version directory, newest first, with its manifest or the reason it cannot be used (a
   * missing, unparsable or invalid manifest). A registry directory that does not exist has none.
   */
  async entries(): Promise<RegistryEntry[]> {
    let names: string[];
    try {
      names = await readdir(this.root);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw new RegistryError(`cannot read model registry ${this.root}: ${message(err)}`);
    }
    const out: RegistryEntry[] = [];
    for (const version of names
      .filter((n) => VERSION.test(n))
      .sort()
      .reverse()) {
      try {
        out.push({ version, manifest: await this.manifest(version) });
      } catch (err) {
        if (!(err instanceof RegistryError)) throw err;
        out.push({ version, problem: err.message });
      }
    }
    return out;
  }

  /**
   * The manifest of a version; {@link RegistryError} when the version does not exist or its manifest
   * is not valid JSON or not a manifest (corrupt).
   */
  async manifest(version: string): Promise<Manifest> {
    if (!VERSION.test(version)) throw new RegistryError(`not a model version: ${JSON.stringify(version)}`);
    const file = join(this.root, version, 'manifest.json');
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' || code === 'ENOTDIR')
        throw new RegistryError(`model version ${version} does not exist in ${this.root}`);
      throw new RegistryError(`cannot read the manifest ${file}: ${message(err)}`);
    }
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (err) {
      throw new RegistryError(`manifest ${file} is corrupt: not valid JSON (${message(err)})`);
    }
    const problem = manifestProblem(value, version);
    if (problem) throw new RegistryError(`manifest ${file} is corrupt: ${problem}`);
    return value as Manifest;
  }

  /** The promoted version, or undefined when nothing was promoted yet. */
  async current(): Promise<string | undefined> {
    try {
      const v = (await readFile(join(this.root, CURRENT), 'utf8')).trim();
      return v || undefined;
    } catch {
      return undefined;
    }
  }

  /** Makes `version` the served one (atomic rename) and records it for rollback. */
  async promote(version: string): Promise<void> {
    await this.manifest(version);
    await this.writeCurrent(version);
  }

  /** Re-promotes the version that was served before the current one; returns it. */
  async rollback(): Promise<string> {
    const history = await this.history();
    const current = await this.current();
    // Walk back past every entry of the current version to the one promoted before it.
    let i = history.length - 1;
    while (i >= 0 && history[i] === current) i--;
    const previous = history[i];
    if (previous === undefined)
      throw new RegistryError('nothing to roll back to: only one version was ever promoted');
    try {
      await this.manifest(previous);
    } catch (err) {
      if (!(err instanceof RegistryError)) throw err;
      throw new RegistryError(`cannot roll back to ${previous}: ${err.message}`);
    }
    await this.writeCurrent(previous);
    return previous;
  }

  /** Reads one JSON artefact of a version, checking its hash against the manifest. */
  async read<T>(version: string, name: string): Promise<T> {
    return JSON.parse((await this.readFile(version, `${name}.json`)).toString('utf8')) as T;
  }

  /** Reads one binary artefact (`<name>.bin`) of a version, hash-checked. */
  async readBinary(version: string, name: string): Promise<Uint8Array> {
    return this.readFile(version, `${name}.bin`);
  }

  /** Whether a version holds an artefact (JSON or binary) of that name. */
  async has(version: string, name: string): Promise<boolean> {
    const { files } = await this.manifest(version);
    return `${name}.json` in files || `${name}.bin` in files;
  }

  private async readFile(version: string, file: string): Promise<Buffer> {
    const manifest = await this.manifest(version);
    const expected = manifest.files[file];
    if (!expected) throw new RegistryError(`model version ${version} has no artefact ${file}`);
    let bytes: Buffer;
    try {
      bytes = await readFile(join(this.root, version, file));
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      throw new RegistryError(
        `artefact ${file} of ${version} cannot be read (${code === 'ENOENT' ? 'missing' : (code ?? (err as Error).message)})`,
      );
    }
    const actual = createHash('sha256').update(bytes).digest('hex');
    if (actual !== expected)
      throw new RegistryError(`artefact ${file} of ${version} is corrupt (hash mismatch)`);
    return bytes;
  }

  private async history(): Promise<string[]> {
    try {
      return (await readFile(join(this.root, HISTORY), 'utf8')).split('\n').filter(Boolean);
    } catch {
      return [];
    }
  }

  /** Points CURRENT at `version` (atomic rename) and appends it to HISTORY. */
  private async writeCurrent(version: string): Promise<void> {
    const tmp = join(this.root, `${CURRENT}.tmp-${process.pid}`);
    try {
      await mkdir(this.root, { recursive: true });
      await writeFile(tmp, `${version}\n`);
      await rename(tmp, join(this.root, CURRENT));
    } catch (err) {
      await rm(tmp, { force: true }).catch(() => {});
      throw new RegistryError(`cannot promote ${version} in ${this.root}: ${message(err)}`);
    }
    try {
      await appendFile(join(this.root, HISTORY), `${version}\n`);
    } catch (err) {
      // CURRENT has switched: say so, rather than "cannot promote"
      throw new RegistryError(
        `${version} is now current in ${this.root}, but ${HISTORY} could not record it (${message(err)}): a rollback will not return to it`,
      );
    }
  }
}

/** Why `value` is not the manifest of `version`, or undefined when it is one. */
function manifestProblem(value: unknown, version: string): string | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    return `expected a JSON object; received ${value === null ? 'null' : Array.isArray(value) ? 'an array' : typeof value}`;
  const m = value as Record<string, unknown>;
  if (m.version !== version) return `it names version ${JSON.stringify(m.version)}, not ${version}`;
  for (const field of ['dataset', 'until', 'createdAt'] as const) {
    if (typeof m[field] !== 'string') return `"${field}" is not a string`;
  }
  const files = m.files;
  if (typeof files !== 'object' || files === null || Array.isArray(files))
    return '"files" is not an object of artefact hashes';
  for (const [file, hash] of Object.entries(files)) {
    if (typeof hash !== 'string') return `the hash of artefact ${file} is not a string`;
  }
  if (m.metrics !== undefined && (typeof m.metrics !== 'object' || m.metrics === null))
    return '"metrics" is not an object';
  return undefined;
}

/**
 * Why `dir` cannot hold files, or undefined when it can: it (or a parent) is not a directory, or it
 * cannot be created, or a file cannot be written in it. Missing directories are created one level at a
 * time (a recursive mkdir never returns under /proc); with `create: false` only the first of them is
 * created, to see that it can be, and removed again, so a check leaves nothing behind. An existing
 * directory gets a probe file written and removed (access() answers yes to root on a read-only mount).
 */
export async function directoryProblem(
  dir: string,
  opts: { create?: boolean } = {},
): Promise<string | undefined> {
  const missing: string[] = [];
  for (let at = resolve(dir); ;) {
    try {
      if (!(await stat(at)).isDirectory()) return `${at} is not a directory`;
      break;
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      const parent = dirname(at);
      if ((code !== 'ENOENT' && code !== 'ENOTDIR') || parent === at)
        return `${at} cannot be accessed (${message(err)})`;
      missing.push(at);
      at = parent;
    }
  }
  missing.reverse();
  if (opts.create === false && missing.length > 0) {
    try {
      await mkdir(missing[0]!);
      await rmdir(missing[0]!); // only the empty directory just made: never what another process wrote there since
    } catch (err) {
      return `cannot create ${missing[0]} (${message(err)})`;
    }
    return undefined;
  }
  for (const at of missing) {
    try {
      await mkdir(at);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') return `cannot create ${at} (${message(err)})`;
    }
  }
  const probe = join(dir, `.write-test-${process.pid}`);
  try {
    await writeFile(probe, '');
    await rm(probe, { force: true });
  } catch (err) {
    return `cannot write in ${resolve(dir)} (${message(err)})`;
  }
  return undefined;
}

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
