import pg from 'pg';

/** Connection URL of the same server's maintenance database. */
function maintenanceUrl(url: string): { adminUrl: string; database: string } {
  const u = new URL(url);
  const database = decodeURIComponent(u.pathname.slice(1));
  u.pathname = '/postgres';
  u.search = '';
  return { adminUrl: u.toString(), database };
}

const quoteIdent = (name: string) => `"${name.replaceAll('"', '""')}"`;

async function withAdmin<T>(url: string, fn: (client: pg.Client, database: string) => Promise<T>): Promise<T> {
  const { adminUrl, database } = maintenanceUrl(url);
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    return await fn(client, database);
  } finally {
    await client.end();
  }
}

/** Creates the URL's database when it does not exist (optionally as a copy of a template). Returns true when created. */
export function ensureDatabase(url: string, template?: string): Promise<boolean> {
  return withAdmin(url, async (client, database) => {
    const found = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [database]);
    if (found.rowCount) return false;
    const from = template ? ` TEMPLATE ${quoteIdent(template)}` : '';
    await client.query(`CREATE DATABASE ${quoteIdent(database)}${from}`);
    return true;
  });
}

/** Drops the URL's database, closing any connection still open on it. */
export function dropDatabase(url: string): Promise<void> {
  return withAdmin(url, async (client, database) => {
    await client.query(`DROP DATABASE IF EXISTS ${quoteIdent(database)} WITH (FORCE)`);
  });
}

/** Returns a copy of `url` that names another database on the same server. */
export function withDatabaseName(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = `/${encodeURIComponent(database)}`;
  return u.toString();
}
