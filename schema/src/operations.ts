import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { parse, validate, type GraphQLSchema } from 'graphql';

/**
 * Validates every operation file (`*.graphql`) in `dir` against the API schema. These are the
 * operations we promise clients (the frontend's cart query among them): a schema change that breaks
 * one of them fails the check. Returns one line per problem.
 */
export function invalidOperations(schema: GraphQLSchema, dir: string): string[] {
  const problems: string[] = [];
  const files = readdirSync(dir).filter((f) => f.endsWith('.graphql'));
  if (files.length === 0) problems.push(`${dir} holds no operations`);
  for (const file of files.sort()) {
    try {
      const errors = validate(schema, parse(readFileSync(join(dir, file), 'utf8')));
      for (const e of errors) problems.push(`${file}: ${e.message}`);
    } catch (err) {
      problems.push(`${file}: ${(err as Error).message}`);
    }
  }
  return problems;
}
