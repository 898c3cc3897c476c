// The engine's one-shot form: `schema-engine --datasource … cli <command>`.
import { createRequire } from 'node:module';
import { pgConfig } from './pg-adapter.mjs';
import { logError, logStart } from './protocol.mjs';

const require = createRequire(import.meta.url);
const pg = require('pg');

async function withClient(url, database, fn) {
  const client = new pg.Client(pgConfig(url, database));
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

const quoteIdent = (name) => `"${name.replaceAll('"', '""')}"`;

/** Returns the process exit code. */
export async function runCliCommand(command, url) {
  logStart('CLI');
  const u = new URL(url);
  const database = decodeURIComponent(u.pathname.slice(1));
  try {
    switch (command) {
      case 'can-connect-to-database':
        await withClient(url, database, async () => {});
        break;
      case 'create-database':
        await withClient(url, 'postgres', (c) => c.query(`CREATE DATABASE ${quoteIdent(database)}`));
        console.log(JSON.stringify(database));
        break;
      case 'drop-database':
        await withClient(url, 'postgres', (c) => c.query(`DROP DATABASE ${quoteIdent(database)}`));
        console.log(JSON.stringify(database));
        break;
      default:
        logError('P1000', `Unsupported schema engine command: ${command}`);
        return 1;
    }
    return 0;
  } catch (error) {
    if (error.code === '3D000') logError('P1003', `Database \`${database}\` does not exist on the database server`);
    else if (error.code === 'ECONNREFUSED') logError('P1001', `Can't reach database server at \`${u.hostname}:${u.port || 5432}\``);
    else if (error.code === '28P01') logError('P1000', 'Authentication failed against database server');
    else logError(error.code ?? 'P1000', error.message);
    return 1;
  }
}
