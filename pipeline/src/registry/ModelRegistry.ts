import { createHash } from 'node:crypto';
import { mkdir, readFile, readdir, rename, writeFile, appendFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Manifest } from './Manifest';

/** Thrown for registry misuse: unknown version, nothing to roll back to, a corrupt artefact. */
export class RegistryError extends Error {}

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
    await rm(tmp, { recursive: true, force: true });
    await mkdir(tmp, { recursive: true });
    const files: Record<string, string> = {};
    for (const [file, bytes] of blobs) {
      await writeFile(join(tmp, file), bytes);
      files[file] = createHash('sha256').update(bytes).digest('hex');
    }
    const manifest: Manifest = { ...meta, version, files, createdAt: now.toISOString() };
    await writeFile(join(tmp, 'manifest.json'), JSON.stringify(manifest, null, 2));
    await rm(dir, { recursive: true, force: true });
    await rename(tmp, dir);
    return manifest;
  }

  /** All versions, newest first. */
  async list(): Promise<Manifest[]> {
    let names: string[];
    try {
      names = await readdir(this.root);
    } catch {
      return [];
    }
    const out: Manifest[] = [];
    for (const name of names.filter((n) => VERSION.test(n))) out.push(await this.manifest(name));
    return out.sort((a, b) => (a.version < b.version ? 1 : -1));
  }

  async manifest(version: string): Promise<Manifest> {
    if (!VERSION.test(version)) throw new RegistryError(`not a model version: ${JSON.stringify(version)}`);
    try {
      return JSON.parse(await readFile(join(this.root, version, 'manifest.json'), 'utf8')) as Manifest;
    } catch {
      throw new RegistryError(`model version ${version} does not exist in ${this.root}`);
    }
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
    await appendFile(join(this.root, HISTORY), `${version}\n`);
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
    await this.writeCurrent(previous);
    await appendFile(join(this.root, HISTORY), `${previous}\n`);
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
    const bytes = await readFile(join(this.root, version, file));
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

  private async writeCurrent(version: string): Promise<void> {
    await mkdir(this.root, { recursive: true });
    const tmp = join(this.root, `${CURRENT}.tmp-${process.pid}`);
    await writeFile(tmp, `${version}\n`);
    await rename(tmp, join(this.root, CURRENT));
  }
}
