import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root (the folder holding rover.yaml), found relative to this file. */
export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const SCHEMA_DIR = join(REPO_ROOT, 'schema');
export const SUPERGRAPH_FILE = join(SCHEMA_DIR, 'supergraph.graphql');
export const API_SCHEMA_FILE = join(SCHEMA_DIR, 'api-schema.graphql');
export const OPERATIONS_DIR = join(SCHEMA_DIR, 'operations');
export const ALLOW_LIST_FILE = join(SCHEMA_DIR, 'breaking-changes.allow.json');
