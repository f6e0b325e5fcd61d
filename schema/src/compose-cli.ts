import { writeFileSync } from 'node:fs';
import { relative } from 'node:path';
import { composeSupergraph } from './compose';
import { API_SCHEMA_FILE, REPO_ROOT, SUPERGRAPH_FILE } from './paths';
import { readSupergraphConfig } from './supergraphConfig';

/** `npm run compose`: writes schema/supergraph.graphql and schema/api-schema.graphql from rover.yaml. */
try {
  const c = composeSupergraph(readSupergraphConfig());
  writeFileSync(SUPERGRAPH_FILE, c.supergraphSdl);
  writeFileSync(API_SCHEMA_FILE, c.apiSdl);
  for (const h of c.hints) console.error(`hint: ${h}`);
  console.log(`wrote ${relative(REPO_ROOT, SUPERGRAPH_FILE)} and ${relative(REPO_ROOT, API_SCHEMA_FILE)}`);
} catch (err) {
  console.error((err as Error).message);
  process.exitCode = 1;
}
