import { readFile } from 'node:fs/promises';
import type { Experiment } from './Experiment';
import { validateExperiments } from './validateExperiments';

/** Reads and validates an experiment set from a JSON file (an array of experiments); none when no file. */
export async function loadExperimentsFile(file: string | undefined): Promise<Experiment[]> {
  if (!file) return [];
  let parsed: unknown;
  try {
    parsed = JSON.parse(await readFile(file, 'utf8'));
  } catch (err) {
    throw new Error(`EXPERIMENTS_FILE ${file} is not readable JSON: ${(err as Error).message}`);
  }
  if (!Array.isArray(parsed))
    throw new Error(`EXPERIMENTS_FILE ${file} must hold a JSON array of experiments`);
  const experiments = parsed as Experiment[];
  validateExperiments(experiments);
  return experiments;
}
