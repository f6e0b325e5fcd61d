import type { Driver } from 'neo4j-driver';

/**
 * Drops the per-label constraints the tests created (labels starting with `prefix`) and closes the
 * driver: data is cleared by each test, constraints would otherwise pile up on a shared server.
 */
export async function dropTestConstraints(driver: Driver, prefix: string): Promise<void> {
  const session = driver.session();
  try {
    const shown = await session.run(
      'SHOW CONSTRAINTS YIELD name WHERE name STARTS WITH $prefix RETURN name',
      { prefix },
    );
    for (const record of shown.records) {
      await session.run(`DROP CONSTRAINT \`${String(record.get('name'))}\` IF EXISTS`);
    }
  } finally {
    await session.close();
    await driver.close();
  }
}
