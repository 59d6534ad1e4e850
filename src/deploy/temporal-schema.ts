/**
 * Temporal's two PostgreSQL databases (persistence and visibility), created and brought to the schema of the pinned
 * server release with the server's own SQL tool: create-database, setup-schema -v 0.0 (the version tables), then
 * update-schema over the release's versioned directory. Every step is idempotent, so it runs on every start and a
 * newer pinned release upgrades the schema in place.
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import type { DeployBinaries } from './binaries.js';
import { psql, type PostgresAddress } from './postgres.js';

export interface TemporalDatabases {
  persistence: string;
  visibility: string;
}

export const TEMPORAL_DATABASES: TemporalDatabases = { persistence: 'temporal', visibility: 'temporal_visibility' };

/** The sql tool's plugin for PostgreSQL ≥ 12 (the server's datastores use the same name). */
export const SQL_PLUGIN = 'postgres12';

export async function ensureTemporalSchema(
  pg: PostgresAddress,
  databases: TemporalDatabases,
  binaries: DeployBinaries,
  log: (msg: string) => void,
): Promise<void> {
  const schemas = [
    { db: databases.persistence, versioned: join(binaries.postgresSchemaDir, 'temporal', 'versioned') },
    { db: databases.visibility, versioned: join(binaries.postgresSchemaDir, 'visibility', 'versioned') },
  ];
  for (const { db, versioned } of schemas) {
    const tool = (args: string[]) => runSqlTool(pg, binaries.sqlTool, db, args);
    if (psql(pg, `SELECT 1 FROM pg_database WHERE datname = '${db}'`) !== '1') {
      log(`temporal schema: creating database ${db}`);
      tool(['create-database']);
    }
    tool(['setup-schema', '-v', '0.0']);
    tool(['update-schema', '-d', versioned]);
    log(`temporal schema: ${db} at version ${psql(pg, 'SELECT curr_version FROM schema_version', db)}`);
  }
}

function runSqlTool(pg: PostgresAddress, sqlTool: string, database: string, args: string[]): void {
  const r = spawnSync(sqlTool, ['--plugin', SQL_PLUGIN, '--ep', pg.host, '-p', String(pg.port), '-u', pg.user, '--db', database, ...args], {
    encoding: 'utf8',
    // The password only through the environment (the tool reads SQL_PASSWORD), never argv.
    env: { PATH: process.env.PATH, SQL_PASSWORD: pg.password },
  });
  if (r.status !== 0) {
    throw new Error(`temporal-sql-tool ${args[0]} on ${database} failed (exit ${r.status}): ${(r.stderr || r.stdout).trim().slice(-2000)}`);
  }
}
