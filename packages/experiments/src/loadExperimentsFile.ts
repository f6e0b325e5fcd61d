import { readFile } from 'node:fs/promises';
import type { Experiment } from './Experiment';
import { ExperimentConfigError, validateExperiments } from './validateExperiments';

/**
 * Reads and validates an experiment set from a JSON file (an array of experiments); none when no file.
 * A file that does not validate throws an {@link ExperimentConfigError} naming the file and, one per
 * line, each experiment, field and value at fault, so that a server starting from it fails at once.
 */
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
  try {
    validateExperiments(experiments);
  } catch (err) {
    if (!(err instanceof ExperimentConfigError)) throw err;
    throw new ExperimentConfigError(
      `EXPERIMENTS_FILE ${file} is not a valid experiment set:\n${err.message}`,
    );
  }
  return experiments;
}
